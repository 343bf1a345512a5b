#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "lanlord/peer_id.hpp"

using lanlord::PeerId;

// Fabric's Test_peerIDString: nil prints "<nil>", empty prints "", bytes
// print as lowercase hex.
TEST_CASE("peer id text form is lowercase hex like Fabric's peerID.String()") {
  CHECK(lanlord::to_hex(std::nullopt) == "<nil>");
  CHECK(PeerId().hex() == "");
  CHECK(PeerId(std::string("\x00\x01\x02\x03", 4)).hex() == "00010203");
  CHECK(PeerId(std::string("\xff\xab", 2)).hex() == "ffab");
  CHECK(lanlord::to_hex(PeerId("p0")) == "7030");
}

TEST_CASE("peer ids order bytewise, as unsigned bytes") {
  CHECK(PeerId("p0") < PeerId("p1"));
  CHECK(PeerId("p1") < PeerId("p10"));
  CHECK(PeerId("p10") < PeerId("p2"));
  CHECK(PeerId("a") < PeerId("ab"));
  // 0xff must sort after 0x7f (a signed char compare would get this wrong).
  CHECK(PeerId(std::string("\x7f", 1)) < PeerId(std::string("\xff", 1)));
  CHECK(PeerId("x") == PeerId(std::string("x")));
}
