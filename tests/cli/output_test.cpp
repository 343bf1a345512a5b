// The output contract: timestamps, JSON escaping, and every event in both
// formats, printed with a fixed clock.
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <sstream>
#include <string>

#include "output/event_printer.hpp"

using namespace std::chrono_literals;
using lanlord::Member;
using lanlord::MembershipEvent;
using lanlord::PeerId;
using namespace lanlord::cli;

namespace {

// 2024-05-01T12:03:04.056Z
const WallClock::time_point kNow{std::chrono::milliseconds(1714564984056)};

struct Printed {
  std::ostringstream out;
  EventPrinter printer;
  explicit Printed(Format format) : printer(out, format, [] { return kNow; }) {}
  std::string text() const { return out.str(); }
};

// An independent check that `s` is well-formed UTF-8 (RFC 3629).
bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    const char32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// One JSON line as printed at kNow: `rest` is everything after "ts".
std::string line(std::string_view rest) {
  return R"({"ts":"2024-05-01T12:03:04.056Z",)" + std::string(rest) + "\n";
}

Member member(const char* id, bool alive = true) {
  Member m;
  m.id = PeerId(id);
  m.alive = alive;
  m.channels = {"default"};
  return m;
}

}  // namespace

TEST_CASE("timestamps are RFC 3339, UTC, with milliseconds") {
  CHECK(rfc3339(kNow) == "2024-05-01T12:03:04.056Z");
  CHECK(rfc3339(WallClock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(rfc3339(kNow + 999us) == "2024-05-01T12:03:04.056Z");  // truncated, not rounded
}

TEST_CASE("json_quote escapes what JSON requires and keeps valid UTF-8") {
  CHECK(json_quote("node-1") == R"("node-1")");
  CHECK(json_quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_quote("l1\nl2\t\r") == R"("l1\nl2\t\r")");
  CHECK(json_quote(std::string("\x00\x01\x1b\x7f", 4)) == R"("\u0000\u0001\u001b\u007f")");
  CHECK(json_quote("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  CHECK(json_quote("\xE2\x80\xA8") == R"("\u2028")");
}

TEST_CASE("json_quote replaces each byte that is not valid UTF-8 with U+FFFD") {
  CHECK(json_quote(std::string("a\xFF") + "b") == R"("a\ufffdb")");
  CHECK(json_quote("\xC0\xAF") == R"("\ufffd\ufffd")");                      // overlong '/'
  CHECK(json_quote("\xED\xA0\x80") == R"("\ufffd\ufffd\ufffd")");            // a surrogate
  CHECK(json_quote("\xF4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  CHECK(json_quote("x\xE2\x82") == R"("x\ufffd\ufffd")");                    // cut short
}

TEST_CASE("json_quote of any bytes is valid UTF-8 with no raw control characters") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  for (int round = 0; round < 2000; ++round) {
    std::string s(static_cast<std::size_t>(length(rng)), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    const std::string q = json_quote(s);
    REQUIRE(valid_utf8(q));
    for (const char c : q) REQUIRE(static_cast<unsigned char>(c) >= 0x20);
  }
}

TEST_CASE("printable escapes control characters and invalid bytes for a terminal") {
  CHECK(printable("node-1") == "node-1");
  CHECK(printable("\x1b[31mred") == "\\x1b[31mred");
  CHECK(printable("a\\b") == "a\\\\b");
  CHECK(printable("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(printable("\xFF") == "\\xff");
  CHECK(printable("\xC2\x9B") == "\\xc2\\x9b");  // C1 control (CSI)
}

TEST_CASE("JSON events carry ts, event, node and their fields") {
  Printed p(Format::kJson);
  p.printer.started({.node = "n1",
                     .cluster = "lanlord",
                     .channels = {"default", "billing"},
                     .endpoint = "239.1.2.3:7000 on lo (127.0.0.1)",
                     .profile = "fast",
                     .passive = false,
                     .key_ids = {},
                     .encrypt = false});
  p.printer.membership("n1", MembershipEvent::kJoined, member("n2"), 2);
  p.printer.membership("n1", MembershipEvent::kLeft, member("n2"), 1);
  p.printer.membership("n1", MembershipEvent::kDead, member("n3"), 1);
  p.printer.membership("n1", MembershipEvent::kRestarted, member("n4"), 2);
  // 2^53 + 1: a double would print ...992; the string keeps every digit.
  p.printer.leader("n1", "default",
                   lanlord::LeaderInfo{.leader = PeerId("n1"),
                                       .epoch = 9007199254740993u,
                                       .metadata = "203.0.113.5:8080",
                                       .is_self = true});
  p.printer.leader("n1", "default", lanlord::LeaderInfo{});
  p.printer.leader(
      "n1", "default",
      lanlord::LeaderInfo{.leader = PeerId("n1"), .epoch = 7, .metadata = "", .is_self = true},
      /*new_term=*/true);
  p.printer.dropped("n1", lanlord::DropReason::kBadMagic, "127.0.0.1:7000");
  p.printer.stopped("n1");
  const std::string expected =
      line(
          R"j("event":"started","node":"n1","cluster":"lanlord","channels":["default","billing"],"backend":"udp","endpoint":"239.1.2.3:7000 on lo (127.0.0.1)","mode":"multicast","profile":"fast","passive":false})j") +
      line(R"("event":"member_joined","node":"n1","member":"n2","members":2})") +
      line(R"("event":"member_left","node":"n1","member":"n2","members":1})") +
      line(R"("event":"member_dead","node":"n1","member":"n3","members":1})") +
      line(R"("event":"member_restarted","node":"n1","member":"n4","members":2})") +
      line(
          R"("event":"leader","node":"n1","channel":"default","leader":"n1","is_self":true,"epoch":"9007199254740993","metadata":"203.0.113.5:8080"})") +
      line(
          R"("event":"leader","node":"n1","channel":"default","leader":null,"is_self":false,"epoch":null,"metadata":null})") +
      line(
          R"("event":"leader","node":"n1","channel":"default","leader":"n1","is_self":true,"epoch":"7","metadata":"","new_term":true})") +
      line(R"("event":"dropped","node":"n1","reason":"bad_magic","from":"127.0.0.1:7000"})") +
      line(R"("event":"stopped","node":"n1"})");
  CHECK(p.text() == expected);
}

TEST_CASE("a passive node's started event has no channels") {
  Printed p(Format::kJson);
  p.printer.started({.node = "watch-h-1",
                     .cluster = "c",
                     .channels = {},
                     .endpoint = "e",
                     .profile = "lan",
                     .passive = true,
                     .key_ids = {},
                     .encrypt = false});
  CHECK(p.text().find("\"channels\"") == std::string::npos);
  CHECK(p.text().find("\"passive\":true") != std::string::npos);
}

TEST_CASE("human events: timestamp, node, then a sentence") {
  Printed p(Format::kHuman);
  p.printer.started({.node = "n1",
                     .cluster = "lanlord",
                     .channels = {"default"},
                     .endpoint = "239.1.2.3:7000 on lo (127.0.0.1)",
                     .profile = "fast",
                     .passive = false,
                     .key_ids = {},
                     .encrypt = false});
  p.printer.membership("n1", MembershipEvent::kJoined, member("n2"), 2);
  p.printer.leader(
      "n1", "default",
      lanlord::LeaderInfo{
          .leader = PeerId("n1"), .epoch = 7, .metadata = "203.0.113.5:8080", .is_self = true});
  p.printer.leader(
      "n1", "default",
      lanlord::LeaderInfo{.leader = PeerId("n0"), .epoch = 8, .metadata = "", .is_self = false});
  p.printer.leader(
      "n1", "default",
      lanlord::LeaderInfo{.leader = PeerId("n0"), .epoch = 9, .metadata = "", .is_self = false},
      /*new_term=*/true);
  p.printer.leader("n1", "default", std::nullopt, false);
  p.printer.stopped("n1");
  const std::string ts = "2024-05-01T12:03:04.056Z n1 ";
  CHECK(p.text() ==
        ts +
            "started: cluster lanlord, channels default, 239.1.2.3:7000 on lo (127.0.0.1), "
            "profile fast\n" +
            ts + "member joined: n2 (2 alive)\n" + ts +
            "leader of default: n1 (this node), epoch 7, metadata \"203.0.113.5:8080\"\n" + ts +
            "leader of default: n0, epoch 8\n" + ts + "leader of default: n0, new term, epoch 9\n" +
            ts + "leader of default: none\n" + ts + "stopped\n");
}

TEST_CASE("ids with arbitrary bytes stay one valid line in both formats") {
  const std::string id = "evil\n\x1b[2J\xFF";
  Printed json(Format::kJson);
  json.printer.membership("n1", MembershipEvent::kJoined, member(id.c_str()), 2);
  const std::string expected =
      R"({"ts":"2024-05-01T12:03:04.056Z","event":"member_joined","node":"n1","member":"evil\n\u001b[2J\ufffd","members":2})"
      "\n";
  CHECK(json.text() == expected);
  Printed human(Format::kHuman);
  human.printer.membership("n1", MembershipEvent::kJoined, member(id.c_str()), 2);
  CHECK(human.text() ==
        "2024-05-01T12:03:04.056Z n1 member joined: evil\\x0a\\x1b[2J\\xff (2 alive)\n");
}

TEST_CASE("the watch table, healthy and not, in both formats") {
  Verdict ok;
  ok.members = {member("a"), member("b"), member("c", false)};
  ok.alive = 2;
  ok.channels = {{.channel = "default",
                  .leader = PeerId("a"),
                  .leaders = {PeerId("a")},
                  .epoch = 42,
                  .metadata = "203.0.113.5:8080",
                  .members = 2,
                  .declaring = {PeerId("a")},
                  .ok = true,
                  .problem = ""}};
  ok.listened = 800ms;
  ok.ok = true;

  Printed json(Format::kJson);
  json.printer.table("w", ok);
  const std::string expected =
      R"({"ts":"2024-05-01T12:03:04.056Z","event":"table","node":"w","listened_ms":800,"members":2,)"
      R"("member_list":[{"member":"a","alive":true,"channels":["default"]},)"
      R"({"member":"b","alive":true,"channels":["default"]},)"
      R"({"member":"c","alive":false,"channels":["default"]}],)"
      R"("channels":[{"channel":"default","leader":"a","epoch":"42","metadata":"203.0.113.5:8080",)"
      R"("leaders":["a"],"ok":true}],)"
      R"("trust_problems":[],"warnings":[],)"
      R"("stats":{"datagrams_in":0,"datagrams_out":0,"bytes_in":0,"bytes_out":0,"receive_wakeups":0,"refutations":0,"evictions":0,)"
      R"("stale_resets":0,"duplicate_id":false,"peers":0,"max_clock_offset_ms":0,"pauses":0,)"
      R"("drops":{}},)"
      R"("ok":true})"
      "\n";
  CHECK(json.text() == expected);

  Printed human(Format::kHuman);
  human.printer.table("w", ok);
  CHECK(human.text() ==
        "2024-05-01T12:03:04.056Z w table after 800ms: 2 members alive, 1 channel\n"
        "  members:\n"
        "    a  alive  channels default\n"
        "    b  alive  channels default\n"
        "    c  dead   channels default\n"
        "  leaders:\n"
        "    default: a, epoch 42, metadata \"203.0.113.5:8080\"\n"
        "  stats: 0 datagrams in, 0 out, 0 peers held, 0 refuted, 0 evicted, 0 stale resets, "
        "max clock offset 0 ms; dropped: none\n"
        "  verdict: ok, every channel has exactly one leader\n");

  Verdict bad = ok;
  bad.channels = {{.channel = "default",
                   .leader = PeerId("a"),
                   .leaders = {PeerId("a"), PeerId("b")},
                   .epoch = 41,
                   .metadata = "",
                   .members = 2,
                   .declaring = {},
                   .ok = false,
                   .problem = "2 leaders"},
                  {.channel = "x",
                   .leader = std::nullopt,
                   .leaders = {},
                   .epoch = 0,
                   .metadata = "",
                   .members = 0,
                   .declaring = {},
                   .ok = false,
                   .problem = "no leader"}};
  bad.ok = false;
  bad.problem = "2 of 2 channels have not exactly one leader";
  Printed human_bad(Format::kHuman);
  human_bad.printer.table("w", bad);
  CHECK(human_bad.text().find("    default: a, epoch 41  <- 2 leaders (a, b)\n"
                              "    x: none  <- no leader\n"
                              "  stats: ") != std::string::npos);
  CHECK(human_bad.text().find("  verdict: NOT OK, 2 of 2 channels have not exactly one leader\n") !=
        std::string::npos);
  Printed json_bad(Format::kJson);
  json_bad.printer.table("w", bad);
  const std::string channel_x =
      R"({"channel":"x","leader":null,"epoch":null,"metadata":null,"leaders":[],"ok":false,)"
      R"("problem":"no leader"})";
  const std::string overall =
      R"("ok":false,"problem":"2 of 2 channels have not exactly one leader"})";
  CHECK(json_bad.text().find(channel_x) != std::string::npos);
  CHECK(json_bad.text().find(overall) != std::string::npos);
}

TEST_CASE("the demo's narrative events") {
  Printed json(Format::kJson);
  json.printer.demo_agreed(PeerId("node-1"), "default", 5, 1234ms);
  json.printer.demo_crash(PeerId("node-1"));
  json.printer.demo_failover(PeerId("node-2"), "default", 4, 412ms, 400ms);
  json.printer.demo_timeout("failover", 10s);
  json.printer.demo_done();
  const std::string expected =
      line(
          R"("event":"demo_agreed","node":"demo","channel":"default","leader":"node-1","nodes":5,"took_ms":1234})") +
      line(R"("event":"demo_crash","node":"demo","member":"node-1"})") +
      line(
          R"("event":"demo_failover","node":"demo","channel":"default","leader":"node-2","nodes":4,"took_ms":412,"bound_ms":400})") +
      line(R"("event":"demo_timeout","node":"demo","phase":"failover","waited_ms":10000})") +
      line(R"("event":"demo_done","node":"demo"})");
  CHECK(json.text() == expected);
  Printed human(Format::kHuman);
  human.printer.demo_failover(PeerId("node-2"), "default", 4, 412ms, 400ms);
  CHECK(human.text().find("failover took 412 ms") != std::string::npos);
}

TEST_CASE("warnings and id conflicts: JSON events on stdout, human lines on stderr") {
  std::ostringstream out;
  std::ostringstream err;
  EventPrinter human(
      out, Format::kHuman, [] { return kNow; }, &err);
  human.warning("n1", {lanlord::WarningKind::kUnauthenticated, "no key: anyone can forge", {}});
  human.id_conflict("n1", {.origin = "127.0.0.1:7000",
                           .claim = {},
                           .instance = 5,
                           .refuted = false,
                           .duplicate = true,
                           .stopped = true});
  human.id_conflict("n1", {.origin = "127.0.0.1:7001",
                           .claim = {},
                           .instance = 5,
                           .refuted = false,
                           .duplicate = true,
                           .stopped = false});
  human.id_conflict("n1", {.origin = "192.0.2.9:1",
                           .claim = {},
                           .instance = 0,
                           .refuted = true,
                           .duplicate = false,
                           .stopped = false});
  CHECK(out.str().empty());
  const std::string ts = "2024-05-01T12:03:04.056Z n1 ";
  CHECK(err.str() ==
        ts + "warning (unauthenticated): no key: anyone can forge\n" + ts +
            "id conflict: another process with id n1 is running at 127.0.0.1:7000; this one "
            "started later and stops\n" +
            ts +
            "id conflict: another process with id n1 is running at 127.0.0.1:7001; it started "
            "later and should stop (this one keeps running)\n" +
            ts +
            "id conflict: a datagram from 192.0.2.9:1 made a newer claim about id n1; answered "
            "with a newer heartbeat (a forgery, a replay, or a second process)\n");

  std::ostringstream jout;
  std::ostringstream jerr;
  EventPrinter json(
      jout, Format::kJson, [] { return kNow; }, &jerr);
  json.warning("n1", {lanlord::WarningKind::kClockOffset, "peer p's clock is off", PeerId("p")});
  json.warning("n1", {lanlord::WarningKind::kAlone, "alone", {}});
  json.id_conflict("n1", {.origin = "127.0.0.1:7000",
                          .claim = {},
                          .instance = 5,
                          .refuted = false,
                          .duplicate = true,
                          .stopped = true});
  CHECK(jerr.str().empty());
  CHECK(
      jout.str() ==
      line(
          R"("event":"warning","node":"n1","kind":"clock_offset","message":"peer p's clock is off","peer":"p"})") +
          line(R"("event":"warning","node":"n1","kind":"alone","message":"alone","peer":null})") +
          line(
              R"("event":"id_conflict","node":"n1","from":"127.0.0.1:7000","refuted":false,"duplicate":true,"stopped":true})"));
}

TEST_CASE("keys_reloaded names the file and the key ids, primary first") {
  Printed json(Format::kJson);
  json.printer.keys_reloaded("n1", "/etc/lanlord/c.key", {0x3fa4c0de, 0x01});
  CHECK(
      json.text() ==
      line(
          R"("event":"keys_reloaded","node":"n1","file":"/etc/lanlord/c.key","key_ids":["3fa4c0de","00000001"]})"));
  Printed human(Format::kHuman);
  human.printer.keys_reloaded("n1", "/etc/lanlord/c.key", {0x3fa4c0de, 0x01});
  CHECK(human.text() ==
        "2024-05-01T12:03:04.056Z n1 keys reloaded from /etc/lanlord/c.key: 2 keys, primary "
        "3fa4c0de, also accepted 00000001\n");
}

TEST_CASE("a keyed node's started line names its key ids") {
  Printed json(Format::kJson);
  json.printer.started({.node = "n1",
                        .cluster = "c",
                        .channels = {"default"},
                        .endpoint = "e",
                        .profile = "fast",
                        .passive = false,
                        .key_ids = {"3fa4c0de", "00000001"},
                        .encrypt = true});
  CHECK(json.text().find(R"("key_ids":["3fa4c0de","00000001"],"encrypt":true})") !=
        std::string::npos);
  Printed human(Format::kHuman);
  human.printer.started({.node = "n1",
                         .cluster = "c",
                         .channels = {"default"},
                         .endpoint = "e",
                         .profile = "fast",
                         .passive = false,
                         .key_ids = {"3fa4c0de", "00000001"},
                         .encrypt = false});
  CHECK(human.text().find("profile fast, key 3fa4c0de (+1 more)\n") != std::string::npos);
}

TEST_CASE("a unicast node's started line shows the mode and names its seeds") {
  Printed json(Format::kJson);
  json.printer.started({.node = "n1",
                        .cluster = "c",
                        .channels = {"default"},
                        .endpoint = "e",
                        .unicast = true,
                        .peers = {"198.51.100.1:7676", "198.51.100.2:7676"},
                        .profile = "fast",
                        .passive = false,
                        .key_ids = {},
                        .encrypt = false});
  CHECK(
      json.text().find(
          R"("endpoint":"e","mode":"unicast","peers":["198.51.100.1:7676","198.51.100.2:7676"],"profile":"fast")") !=
      std::string::npos);
  Printed human(Format::kHuman);
  human.printer.started({.node = "n1",
                         .cluster = "c",
                         .channels = {"default"},
                         .endpoint = "e",
                         .unicast = true,
                         .peers = {"198.51.100.1:7676"},
                         .profile = "fast",
                         .passive = false,
                         .key_ids = {},
                         .encrypt = false});
  CHECK(human.text().find("e (198.51.100.1:7676), profile fast\n") != std::string::npos);
  Printed seed(Format::kHuman);
  seed.printer.started({.node = "n1",
                        .cluster = "c",
                        .channels = {"default"},
                        .endpoint = "e",
                        .unicast = true,
                        .peers = {},
                        .profile = "fast",
                        .passive = false,
                        .key_ids = {},
                        .encrypt = false});
  CHECK(seed.text().find("e, profile fast\n") != std::string::npos);
}

TEST_CASE("stats list the trust counters and every drop reason with a count") {
  lanlord::NodeStats s;
  s.datagrams_in = 10;
  s.refutations = 2;
  s.evictions = 3;
  s.peers = 4;
  s.max_clock_offset = 1500ms;
  s.drops[static_cast<std::size_t>(lanlord::DropReason::kForeignKey)] = 6;
  s.drops[static_cast<std::size_t>(lanlord::DropReason::kRateLimited)] = 7;
  Printed json(Format::kJson);
  json.printer.stats("n1", s);
  CHECK(
      json.text() ==
      line(
          R"("event":"stats","node":"n1","datagrams_in":10,"datagrams_out":0,"bytes_in":0,"bytes_out":0,"receive_wakeups":0,"refutations":2,"evictions":3,"stale_resets":0,"duplicate_id":false,"peers":4,"max_clock_offset_ms":1500,"pauses":0,"drops":{"foreign_key":6,"rate_limited":7}})"));
  Printed human(Format::kHuman);
  human.printer.stats("n1", s);
  CHECK(human.text() ==
        "2024-05-01T12:03:04.056Z n1 stats: 10 datagrams in, 0 out, 4 peers held, 2 refuted, 3 "
        "evicted, 0 stale resets, max clock offset 1500 ms; dropped: foreign_key 6, "
        "rate_limited 7\n");
}

TEST_CASE("stats show unicast mode's address book") {
  lanlord::NodeStats s;
  s.unicast_targets = 4;
  s.targets_capped = 1;
  s.addresses_learned = 5;
  s.introductions = 3;
  s.lost_addresses = 2;
  s.reconnects = 8;
  Printed json(Format::kJson);
  json.printer.stats("n1", s);
  CHECK(
      json.text().find(
          R"("unicast":{"targets":4,"targets_capped":1,"addresses_learned":5,"introductions":3,"lost_addresses":2,"reconnects":8})") !=
      std::string::npos);
  Printed human(Format::kHuman);
  human.printer.stats("n1", s);
  CHECK(human.text().find(", unicast to 4 addresses (1 left out by the cap), 2 lost being "
                          "retried; dropped: none") != std::string::npos);
}

TEST_CASE("the watch table shows trust problems, warnings and the stats") {
  Verdict v;
  v.channels = {{.channel = "default",
                 .leader = PeerId("a"),
                 .leaders = {PeerId("a")},
                 .epoch = 1,
                 .metadata = "",
                 .members = 1,
                 .declaring = {},
                 .ok = true,
                 .problem = ""}};
  v.trust_problems = {"2 messages outside the clock-skew window"};
  v.warnings = {"another cluster shares this group"};
  v.stats.drops[static_cast<std::size_t>(lanlord::DropReason::kClockSkew)] = 2;
  v.ok = false;
  v.problem = "2 messages outside the clock-skew window";
  Printed human(Format::kHuman);
  human.printer.table("w", v);
  CHECK(human.text().find("  trust problems:\n"
                          "    2 messages outside the clock-skew window\n"
                          "  warnings:\n"
                          "    another cluster shares this group\n"
                          "  stats: 0 datagrams in") != std::string::npos);
  CHECK(human.text().find("dropped: clock_skew 2\n  verdict: NOT OK, 2 messages outside") !=
        std::string::npos);
  Printed json(Format::kJson);
  json.printer.table("w", v);
  CHECK(json.text().find(R"("trust_problems":["2 messages outside the clock-skew window"],)"
                         R"("warnings":["another cluster shares this group"],)") !=
        std::string::npos);
  CHECK(json.text().find(R"("drops":{"clock_skew":2}})") != std::string::npos);
}

TEST_CASE("member_evicted and the members_evicted summary") {
  Printed json(Format::kJson);
  json.printer.membership("n1", MembershipEvent::kEvicted, member("x"), 3);
  json.printer.evictions("n1", 250, 3);
  CHECK(json.text() ==
        line(R"("event":"member_evicted","node":"n1","member":"x","members":3})") +
            line(R"("event":"members_evicted","node":"n1","count":250,"members":3})"));
  Printed human(Format::kHuman);
  human.printer.evictions("n1", 1, 2);
  CHECK(human.text() ==
        "2024-05-01T12:03:04.056Z n1 members evicted: 1 peer heard only once was dropped to make "
        "room (--max-members) (2 alive)\n");
}

TEST_CASE("stats show pauses and each channel's leader, epoch, handoffs and stale declarations") {
  lanlord::NodeStats s;
  s.pauses = 1;
  lanlord::ChannelStats c;
  c.channel = "billing";
  c.leader = PeerId("a");
  c.epoch = 9007199254740993u;
  c.leader_changes = 2;
  c.handoffs_sent = 1;
  c.handoffs_received = 0;
  c.stale_declarations = 3;
  s.channels = {c};
  Printed json(Format::kJson);
  json.printer.stats("n1", s);
  CHECK(json.text().find(R"("pauses":1,"drops":{},"channels":[{"channel":"billing","leader":"a",)"
                         R"("epoch":"9007199254740993","is_leader":false,"leader_changes":2,)"
                         R"("handoffs_sent":1,"handoffs_received":0,"stale_declarations":3}]})") !=
        std::string::npos);
  Printed human(Format::kHuman);
  human.printer.stats("n1", s);
  CHECK(human.text().find("max clock offset 0 ms, paused 1 time; dropped: none; channel billing: "
                          "leader a, epoch 9007199254740993, 2 changes, handoffs 1 sent 0 "
                          "received, 3 stale declarations\n") != std::string::npos);
}

TEST_CASE("the paused warning is printed like the others") {
  std::ostringstream out;
  std::ostringstream err;
  EventPrinter human(
      out, Format::kHuman, [] { return kNow; }, &err);
  human.warning("n1", {lanlord::WarningKind::kPaused, "this node was frozen for 2s", {}});
  CHECK(out.str().empty());
  CHECK(err.str() == "2024-05-01T12:03:04.056Z n1 warning (paused): this node was frozen for 2s\n");
  Printed json(Format::kJson);
  json.printer.warning("n1", {lanlord::WarningKind::kPaused, "frozen", {}});
  CHECK(json.text() ==
        line(R"("event":"warning","node":"n1","kind":"paused","message":"frozen","peer":null})"));
}

namespace {

ChannelVerdict channel_verdict(const char* channel, std::optional<PeerId> leader,
                               std::vector<PeerId> declaring, bool ok, const char* problem) {
  ChannelVerdict c;
  c.channel = channel;
  c.leader = std::move(leader);
  c.leaders = declaring;
  c.declaring = std::move(declaring);
  c.ok = ok;
  c.problem = problem;
  return c;
}

}  // namespace

TEST_CASE("lanlord leader: one line per channel, or one JSON object") {
  Verdict v;
  v.listened = 800ms;
  ChannelVerdict billing =
      channel_verdict("billing", PeerId("node-a"), {PeerId("node-a")}, true, "");
  billing.epoch = 9007199254740993u;
  billing.metadata = "203.0.113.5:8080";
  billing.members = 3;
  ChannelVerdict jobs = channel_verdict("jobs", PeerId("node-a"),
                                        {PeerId("node-a"), PeerId("node-b")}, false, "split");
  jobs.members = 2;
  ChannelVerdict mail = channel_verdict("mail", std::nullopt, {}, false, "no leader");
  mail.members = 1;
  v.channels = {billing, jobs, mail};
  v.ok = false;
  v.problem = "2 of 3 channels have not exactly one leader";

  Printed human(Format::kHuman);
  human.printer.leaders("watch-h", v);
  CHECK(
      human.text() ==
      "billing  leader node-a  epoch 9007199254740993  metadata \"203.0.113.5:8080\"  (3 members)\n"
      "jobs  split: node-a, node-b declare leadership  (2 members)\n"
      "mail  no leader  (1 member)\n");

  Printed json(Format::kJson);
  json.printer.leaders("watch-h", v);
  CHECK(json.text() ==
        line(R"("event":"leaders","node":"watch-h","listened_ms":800,"channels":[)"
             R"({"channel":"billing","leader":"node-a","epoch":"9007199254740993",)"
             R"("metadata":"203.0.113.5:8080","members":3,"leaders":["node-a"],)"
             R"("declaring":["node-a"],"ok":true},)"
             R"({"channel":"jobs","leader":"node-a","epoch":"0","metadata":"","members":2,)"
             R"("leaders":["node-a","node-b"],"declaring":["node-a","node-b"],"ok":false,)"
             R"("problem":"split"},)"
             R"({"channel":"mail","leader":null,"epoch":null,"metadata":null,"members":1,)"
             R"("leaders":[],"declaring":[],"ok":false,"problem":"no leader"}],)"
             R"("ok":false,"problem":"2 of 3 channels have not exactly one leader"})"));

  Verdict nothing;
  nothing.listened = 800ms;
  nothing.problem = "heard no member and no leader";
  Printed empty(Format::kHuman);
  empty.printer.leaders("watch-h", nothing);
  CHECK(empty.text() == "no leader: heard no member and no leader in 800ms\n");
}
