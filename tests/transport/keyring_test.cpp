// Cluster keys: keyring files and the LANLORD_KEY variable are parsed
// strictly, errors name the place and never the key, a keyring file others
// can read is refused, and generated keys are fresh and valid.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "lanlord/keyring.hpp"

using namespace lanlord;

namespace {

// Three fixed keys (32 bytes each, base64), so the tests read the same
// bytes every run.
const std::string kKeyA = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // bytes 0..31
const std::string kKeyB = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";  // bytes 32..63
const std::string kKeyC = "//////////////////////////////////////////8=";  // 0xff * 32

std::string error_of(const Result<Keyring>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  return r.status().message();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A temporary directory, removed with what the test put in it.
struct TempDir {
  std::string path;
  std::vector<std::string> files;
  TempDir() {
    char name[] = "/tmp/lanlord-keyring-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() {
    for (const auto& f : files) ::unlink(f.c_str());
    ::rmdir(path.c_str());
  }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string file = path + "/" + name;
    files.push_back(file);
    std::ofstream(file) << text;
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    return file;
  }
};

}  // namespace

TEST_CASE("keyring: one key per line, comments and blank lines skipped, first is primary") {
  const Result<Keyring> r = Keyring::parse(
      "# rotated in 2026-11\n" + kKeyB + "\n\n   \n  " + kKeyA + "  \r\n# old\n" + kKeyC, "keys");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->size() == 3);
  const std::vector<std::uint32_t> ids = r->ids();
  REQUIRE(ids.size() == 3);
  CHECK(r->primary().id == ids[0]);
  CHECK(std::set<std::uint32_t>(ids.begin(), ids.end()).size() == 3);
  for (std::uint32_t id : ids) {
    REQUIRE(r->find(id) != nullptr);
    CHECK(r->find(id)->id == id);
  }
  // The primary is the first key: its secret is bytes 32..63.
  CHECK(r->primary().secret[0] == 32);
  CHECK(r->primary().secret[31] == 63);
  // The id comes from the key alone: the same key has the same id anywhere.
  CHECK(Keyring::from_base64(kKeyB)->primary().id == ids[0]);
  CHECK(Keyring::from_base64(kKeyA)->primary().id == ids[1]);
  // An id that is not in the ring.
  std::uint32_t other = 0;
  while (r->find(other) != nullptr) ++other;
  CHECK(r->find(other) == nullptr);
}

TEST_CASE("keyring: the key id is derived, not a slice of the key, and prints as 8 hex digits") {
  const Keyring ring = *Keyring::from_base64(kKeyA);
  const std::uint32_t id = ring.primary().id;
  const std::uint32_t first_bytes = 0x03020100;  // the key's first 4 bytes, little-endian
  CHECK(id != first_bytes);
  CHECK(ring.primary().mac_key != ring.primary().secret);
  CHECK(ring.primary().aead_key != ring.primary().secret);
  CHECK(ring.primary().aead_key != ring.primary().mac_key);
  CHECK(key_id_hex(0x0a0b0c0d) == "0a0b0c0d");
  CHECK(key_id_hex(0) == "00000000");
  CHECK(key_id_hex(0xffffffff) == "ffffffff");
  // Pinned: the id is part of the wire format (WIRE.md, "Keys").
  CHECK(key_id_hex(id) == "18f563b8");
}

TEST_CASE("keyring: parse errors name the source and line, never the key") {
  const std::string k36 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj";  // bytes 0..35
  SUBCASE("not base64") {
    const std::string e = error_of(Keyring::parse("# c\n" + kKeyA + "\nnot*base64!\n", "k.txt"));
    CHECK(contains(e, "k.txt line 3"));
    CHECK(contains(e, "base64"));
    CHECK_FALSE(contains(e, "not*base64"));
  }
  SUBCASE("a short key") {
    const std::string e = error_of(Keyring::parse("AAECAwQFBgcICQoLDA0ODw==", "k.txt"));
    CHECK(contains(e, "k.txt line 1"));
    CHECK(contains(e, "16 bytes"));
    CHECK_FALSE(contains(e, "AAECAwQF"));
  }
  SUBCASE("a long key") {
    const std::string e = error_of(Keyring::parse(k36, "k.txt"));
    CHECK(contains(e, "k.txt line 1"));
    CHECK(contains(e, "36 bytes"));
    CHECK_FALSE(contains(e, "AAECAwQF"));
  }
  SUBCASE("far too long") {
    const std::string e = error_of(Keyring::parse(k36 + k36 + k36, "k.txt"));
    CHECK(contains(e, "k.txt line 1"));
    CHECK(contains(e, "longer than a key"));
    CHECK_FALSE(contains(e, "AAECAwQF"));
  }
  SUBCASE("unpadded") {
    std::string unpadded = kKeyA;
    unpadded.pop_back();
    CHECK(contains(error_of(Keyring::parse(unpadded, "k.txt")), "line 1"));
  }
  SUBCASE("two keys on one line") {
    CHECK(contains(error_of(Keyring::parse(kKeyA + " " + kKeyB, "k.txt")), "line 1"));
  }
  SUBCASE("a duplicate") {
    const std::string e = error_of(Keyring::parse(kKeyA + "\n" + kKeyB + "\n" + kKeyA, "k.txt"));
    CHECK(contains(e, "k.txt line 3"));
    CHECK(contains(e, "the same key as line 1"));
    CHECK_FALSE(contains(e, "AAECAwQF"));
  }
  SUBCASE("empty") {
    CHECK(contains(error_of(Keyring::parse("", "k.txt")), "k.txt"));
    CHECK(contains(error_of(Keyring::parse("# only a comment\n\n  \n", "k.txt")), "no key"));
  }
  SUBCASE("LANLORD_KEY") {
    CHECK(Keyring::from_base64(kKeyA).ok());
    CHECK(Keyring::from_base64(" " + kKeyA + "\r").ok());
    CHECK(contains(error_of(Keyring::from_base64("")), "LANLORD_KEY"));
    CHECK(contains(error_of(Keyring::from_base64("short")), "LANLORD_KEY"));
    CHECK(contains(error_of(Keyring::from_base64(kKeyA + "\n" + kKeyB)), "LANLORD_KEY"));
  }
}

TEST_CASE("keyring: a file group or others may read or write is refused") {
  TempDir dir;
  const std::string text = "# test keys\n" + kKeyA + "\n" + kKeyB + "\n";

  const std::string open = dir.write("open.keys", text, 0644);
  const std::string e = error_of(Keyring::load_file(open));
  CHECK(contains(e, open));
  CHECK(contains(e, "0644"));
  CHECK(contains(e, "chmod 600"));
  for (mode_t mode : {0640, 0620, 0604, 0602, 0660}) {
    const std::string f = dir.write("mode" + std::to_string(mode) + ".keys", text, mode);
    CHECK_MESSAGE(!Keyring::load_file(f).ok(), "mode " << mode);
  }

  const std::string closed = dir.write("closed.keys", text, 0600);
  const Result<Keyring> r = Keyring::load_file(closed);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->size() == 2);
  CHECK(r->ids() == Keyring::parse(text, "same")->ids());
  CHECK(Keyring::load_file(dir.write("readonly.keys", text, 0400)).ok());

  // Errors inside the file name the file.
  const std::string bad = dir.write("bad.keys", kKeyA + "\nnope\n", 0600);
  CHECK(contains(error_of(Keyring::load_file(bad)), bad + " line 2"));
}

TEST_CASE("keyring: a missing file or a directory is reported with its path") {
  TempDir dir;
  const std::string missing = dir.path + "/absent.keys";
  const std::string e = error_of(Keyring::load_file(missing));
  CHECK(contains(e, missing));
  CHECK(contains(e, "no such"));
  ::chmod(dir.path.c_str(), 0700);
  CHECK(contains(error_of(Keyring::load_file(dir.path)), "not a regular file"));
}

TEST_CASE("keyring: generated keys parse and differ") {
  const std::string a = Keyring::generate_key();
  const std::string b = Keyring::generate_key();
  CHECK(a.size() == 44);
  CHECK(a != b);
  const Result<Keyring> ring = Keyring::parse(a + "\n" + b + "\n", "generated");
  REQUIRE_MESSAGE(ring.ok(), ring.status().message());
  CHECK(ring->size() == 2);
  CHECK(ring->ids()[0] != ring->ids()[1]);
}
