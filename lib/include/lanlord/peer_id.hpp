// Peer identity: an opaque byte string, ordered bytewise like Fabric's peerID.
#pragma once

#include "lanlord/export.hpp"

#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lanlord {

// The identity of a peer. Any bytes are allowed; lanlord uses readable
// names (host-pid, "node-3", ...). Ordering is bytewise (memcmp), which is
// how Fabric's election compares ids: the lowest id wins an election.
class LANLORD_EXPORT PeerId {
 public:
  PeerId() = default;
  explicit PeerId(std::string bytes) : bytes_(std::move(bytes)) {}
  explicit PeerId(std::string_view bytes) : bytes_(bytes) {}
  explicit PeerId(const char* bytes) : bytes_(bytes) {}

  const std::string& bytes() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }

  // Lowercase hex of the bytes, as Fabric's peerID.String(); "" when empty.
  std::string hex() const;

  friend bool operator==(const PeerId&, const PeerId&) = default;
  friend std::strong_ordering operator<=>(const PeerId& a, const PeerId& b) {
    // std::string compares with char_traits<char>, i.e. as unsigned bytes.
    const int c = a.bytes_.compare(b.bytes_);
    return c < 0 ? std::strong_ordering::less
                 : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
  }

 private:
  std::string bytes_;
};

// For unordered containers keyed by id.
struct LANLORD_EXPORT PeerIdHash {
  std::size_t operator()(const PeerId& id) const noexcept {
    return std::hash<std::string>{}(id.bytes());
  }
};

// Fabric prints a nil peerID as "<nil>"; in lanlord "no peer" is an empty
// optional, printed the same way.
LANLORD_EXPORT std::string to_hex(const std::optional<PeerId>& id);

}  // namespace lanlord
