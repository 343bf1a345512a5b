// Cluster keys: the shared secrets that authenticate (and optionally
// encrypt) a cluster's datagrams (transport/WIRE.md, "Keys"). A keyring is
// an ordered list of keys: the first, the primary, signs what this node
// sends; every key in it is accepted, so a key can be rotated in without
// stopping the cluster. libsodium does the cryptography; it stays behind
// this header.
#pragma once

#include "lanlord/export.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/status.hpp"

namespace lanlord {

// One 32-byte cluster key and what is derived from it. Only Keyring makes
// these (from the secret), so the derived fields always match it.
struct LANLORD_EXPORT ClusterKey {
  std::array<std::uint8_t, 32> secret{};
  // Names the key on the wire: keyed BLAKE2b of a fixed context string,
  // so it says nothing about the secret. Distinct within a keyring.
  std::uint32_t id = 0;
  // Subkeys derived from the secret (crypto_kdf), one per use, so the MAC
  // and the cipher never share a key.
  std::array<std::uint8_t, 32> mac_key{};
  std::array<std::uint8_t, 32> aead_key{};

  ClusterKey() = default;
  ClusterKey(const ClusterKey&) = default;
  ClusterKey& operator=(const ClusterKey&) = default;
  ~ClusterKey();  // wipes the secret and the subkeys
};

// The key id as 8 lowercase hex digits, most significant first
// ("3fa4c0de"): how logs and the CLI name a key without showing it.
LANLORD_EXPORT std::string key_id_hex(std::uint32_t id);

// An ordered, non-empty list of distinct cluster keys. Immutable once
// made; copies are independent. Any thread may read a keyring that no
// thread modifies (they are never modified).
class LANLORD_EXPORT Keyring {
 public:
  // Parses one standard base64 key (32 bytes) per line; blank lines and
  // lines starting with '#' are skipped; spaces around a key are allowed.
  // The first key is the primary. Errors (kInvalidArgument) name `source`
  // (a file name, "LANLORD_KEY", ...) and the line, never key material.
  // Rejects a duplicate key and a keyring without keys.
  static Result<Keyring> parse(std::string_view text, std::string_view source);

  // parse() of the file at `path`, which must be a regular file that
  // neither group nor others may read or write (as ssh insists for its
  // keys): otherwise kInvalidArgument, saying to `chmod 600` it. A missing
  // or unreadable file is reported with its path.
  static Result<Keyring> load_file(const std::string& path);

  // A keyring of the single base64 key `key` (the LANLORD_KEY environment
  // variable).
  static Result<Keyring> from_base64(std::string_view key);

  // A new random key (32 bytes from the system's CSPRNG), in base64: a
  // line for a keyring file.
  static std::string generate_key();

  // The key this node signs with: the first. Never fails: a keyring is
  // never empty.
  const ClusterKey& primary() const { return keys_.front(); }
  // The key with this id, or nullptr. The pointer lives as long as *this.
  const ClusterKey* find(std::uint32_t id) const;
  std::size_t size() const { return keys_.size(); }
  // Every key's id, in keyring order (primary first).
  std::vector<std::uint32_t> ids() const;

 private:
  Keyring() = default;
  std::vector<ClusterKey> keys_;
};

}  // namespace lanlord
