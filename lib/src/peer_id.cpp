#include "lanlord/peer_id.hpp"

namespace lanlord {

std::string PeerId::hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes_.size() * 2);
  for (const char c : bytes_) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::string to_hex(const std::optional<PeerId>& id) {
  return id ? id->hex() : "<nil>";
}

}  // namespace lanlord
