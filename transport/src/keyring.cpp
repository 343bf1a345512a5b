#include "lanlord/keyring.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace lanlord {

namespace {

// libsodium must be initialised once before use (it picks the fastest
// implementation for the CPU and opens the random source). A function-local
// static makes that once per process, thread-safely, without a global that
// someone must remember to set up; sodium_init() itself may be repeated.
bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// What the key id is a MAC of. Changing it changes every key's id.
constexpr std::string_view kKeyIdContext = "lanlord cluster key id v1";
// crypto_kdf contexts: exactly 8 characters each.
constexpr char kMacContext[crypto_kdf_CONTEXTBYTES + 1] = "lnldmac1";
constexpr char kAeadContext[crypto_kdf_CONTEXTBYTES + 1] = "lnldaead";

static_assert(sizeof(ClusterKey::secret) == crypto_kdf_KEYBYTES);
static_assert(sizeof(ClusterKey::mac_key) >= crypto_generichash_KEYBYTES_MIN &&
              sizeof(ClusterKey::mac_key) <= crypto_generichash_KEYBYTES_MAX);
static_assert(sizeof(ClusterKey::aead_key) == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

ClusterKey derive(const std::array<std::uint8_t, 32>& secret) {
  ClusterKey k;
  k.secret = secret;
  std::array<std::uint8_t, crypto_generichash_BYTES_MIN> digest;
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(kKeyIdContext.data()),
                     kKeyIdContext.size(), secret.data(), secret.size());
  k.id = static_cast<std::uint32_t>(digest[0]) | static_cast<std::uint32_t>(digest[1]) << 8 |
         static_cast<std::uint32_t>(digest[2]) << 16 | static_cast<std::uint32_t>(digest[3]) << 24;
  crypto_kdf_derive_from_key(k.mac_key.data(), k.mac_key.size(), 1, kMacContext, secret.data());
  crypto_kdf_derive_from_key(k.aead_key.data(), k.aead_key.size(), 1, kAeadContext, secret.data());
  return k;
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Wipes a buffer that held key material (a file's text) when it goes.
struct WipedString {
  std::string text;
  ~WipedString() { sodium_memzero(text.data(), text.size()); }
};

constexpr std::size_t kMaxKeyringFileSize = 64 * 1024;

}  // namespace

ClusterKey::~ClusterKey() {
  sodium_memzero(secret.data(), secret.size());
  sodium_memzero(mac_key.data(), mac_key.size());
  sodium_memzero(aead_key.data(), aead_key.size());
}

std::string key_id_hex(std::uint32_t id) {
  char out[9];
  std::snprintf(out, sizeof out, "%08x", static_cast<unsigned>(id));
  return std::string(out, 8);
}

Result<Keyring> Keyring::parse(std::string_view text, std::string_view source) {
  if (!sodium_ready()) {
    return Status::error("libsodium failed to initialise", StatusCode::kInternal);
  }
  const std::string where(source);
  Keyring ring;
  std::vector<std::size_t> lines;  // the line each key came from, for messages
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;

    const std::string at = where + " line " + std::to_string(line_no) + ": ";
    // Room for more than a key, so a key of the wrong length is told apart
    // from text that is not base64 at all.
    std::array<std::uint8_t, 64> bytes;
    if (line.size() > sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL)) {
      return Status::error(at + "longer than a key (a key is 32 bytes in standard base64, " +
                           "44 characters)");
    }
    std::size_t length = 0;
    const int rc = sodium_base642bin(bytes.data(), bytes.size(), line.data(), line.size(), nullptr,
                                     &length, nullptr, sodium_base64_VARIANT_ORIGINAL);
    if (rc != 0) {
      sodium_memzero(bytes.data(), bytes.size());
      return Status::error(at + "not a base64 key (standard base64 with '=' padding, " +
                           "44 characters; make one with `head -c 32 /dev/urandom | base64`)");
    }
    if (length != 32) {
      sodium_memzero(bytes.data(), bytes.size());
      return Status::error(at + "a key of " + std::to_string(length) +
                           " bytes; a key is 32 bytes (44 characters of base64)");
    }
    std::array<std::uint8_t, 32> secret;
    std::copy_n(bytes.begin(), secret.size(), secret.begin());
    sodium_memzero(bytes.data(), bytes.size());
    ClusterKey key = derive(secret);
    sodium_memzero(secret.data(), secret.size());
    for (std::size_t i = 0; i < ring.keys_.size(); ++i) {
      if (sodium_memcmp(ring.keys_[i].secret.data(), key.secret.data(), key.secret.size()) == 0) {
        return Status::error(at + "the same key as line " + std::to_string(lines[i]));
      }
      if (ring.keys_[i].id == key.id) {
        // 1 in 2^32 per pair: possible, never by accident in practice.
        return Status::error(at + "its key id " + key_id_hex(key.id) + " is also line " +
                             std::to_string(lines[i]) + "'s; generate another key");
      }
    }
    ring.keys_.push_back(key);
    lines.push_back(line_no);
  }
  if (ring.keys_.empty()) {
    return Status::error(where +
                         ": no key (one base64 key per line; blank lines and lines starting "
                         "with # are skipped)");
  }
  return ring;
}

Result<Keyring> Keyring::load_file(const std::string& path) {
  // Opened first, then checked through the descriptor: what is checked is
  // what is read. Symbolic links are followed (ssh does too).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) return Status::error(path + ": no such keyring file");
    return Status::error(path + ": cannot open the keyring: " + std::strerror(e));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Status::error(path + ": cannot stat the keyring: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::error(path + ": the keyring is not a regular file");
  if ((st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::error(path + ": mode " + mode +
                         " lets group or others read or write the keyring; restrict it with "
                         "`chmod 600 " +
                         path + "`");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxKeyringFileSize) {
    return Status::error(path + ": " + std::to_string(st.st_size) +
                         " bytes is too large for a keyring (at most " +
                         std::to_string(kMaxKeyringFileSize) + ")");
  }
  WipedString content;
  content.text.resize(kMaxKeyringFileSize + 1);
  std::size_t got = 0;
  while (got < content.text.size()) {
    const ssize_t n = ::read(fd, content.text.data() + got, content.text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error(path + ": cannot read the keyring: " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > kMaxKeyringFileSize) {
    return Status::error(path + ": too large for a keyring (at most " +
                         std::to_string(kMaxKeyringFileSize) + " bytes)");
  }
  return parse(std::string_view(content.text.data(), got), path);
}

Result<Keyring> Keyring::from_base64(std::string_view key) {
  if (key.find('\n') != std::string_view::npos) {
    return Status::error("LANLORD_KEY: one key only (a keyring file holds several)");
  }
  return parse(key, "LANLORD_KEY");
}

std::string Keyring::generate_key() {
  if (!sodium_ready()) throw std::runtime_error("libsodium failed to initialise");
  std::array<std::uint8_t, 32> secret;
  randombytes_buf(secret.data(), secret.size());
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(out, sizeof out, secret.data(), secret.size(), sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(secret.data(), secret.size());
  std::string key(out);
  sodium_memzero(out, sizeof out);
  return key;
}

const ClusterKey* Keyring::find(std::uint32_t id) const {
  for (const ClusterKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::vector<std::uint32_t> Keyring::ids() const {
  std::vector<std::uint32_t> out;
  out.reserve(keys_.size());
  for (const ClusterKey& k : keys_) out.push_back(k.id);
  return out;
}

}  // namespace lanlord
