// The reporter: a node's callbacks to printed lines, driven by hand. The
// alive count comes from the events themselves, and evicted members are
// summarised rather than printed one per line.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <sstream>
#include <string>

#include "output/reporter.hpp"

using namespace std::chrono_literals;
using lanlord::Clock;
using lanlord::Member;
using lanlord::MembershipEvent;
using lanlord::PeerId;
using namespace lanlord::cli;

namespace {

const WallClock::time_point kNow{std::chrono::milliseconds(1714564984056)};

Member member(const std::string& id) {
  Member m;
  m.id = PeerId(id);
  m.alive = true;
  return m;
}

// A reporter on a fake steady clock, printing JSON lines.
struct Reporting {
  std::ostringstream out;
  EventPrinter printer{out, Format::kJson, [] { return kNow; }};
  Clock::time_point now{};
  NodeReporter reporter;
  lanlord::NodeCallbacks callbacks;
  Reporting(ReportFilter filter, bool passive)
      : reporter(printer, "n1", filter, passive, [this] { return now; }),
        callbacks(reporter.callbacks()) {}
  void event(MembershipEvent e, const std::string& id) { callbacks.on_membership(e, member(id)); }
  // The lines printed since the last call.
  std::string take() {
    std::string s = out.str();
    out.str("");
    return s;
  }
};

lanlord::NodeConfig node_config() {
  lanlord::NodeConfig c;
  c.id = "n1";
  return c;
}

std::string members_field(const std::string& line) {
  const std::size_t at = line.find("\"members\":");
  return at == std::string::npos ? ""
                                 : line.substr(at + 10, line.find_first_of(",}", at) - at - 10);
}

}  // namespace

TEST_CASE("member lines count the alive members from the events") {
  Reporting r({}, /*passive=*/false);
  r.event(MembershipEvent::kJoined, "a");
  CHECK(members_field(r.take()) == "2");  // a and this node
  r.event(MembershipEvent::kJoined, "b");
  CHECK(members_field(r.take()) == "3");
  r.event(MembershipEvent::kRestarted, "b");
  CHECK(members_field(r.take()) == "3");
  // A peer forgotten silently and heard again (a stale reset) joins again:
  // counted once.
  r.event(MembershipEvent::kJoined, "b");
  CHECK(members_field(r.take()) == "3");
  r.event(MembershipEvent::kDead, "a");
  CHECK(members_field(r.take()) == "2");
  r.event(MembershipEvent::kLeft, "b");
  CHECK(members_field(r.take()) == "1");
  r.event(MembershipEvent::kLeft, "b");  // not alive: nothing to remove
  CHECK(members_field(r.take()) == "1");

  Reporting watcher({}, /*passive=*/true);
  watcher.event(MembershipEvent::kJoined, "a");
  CHECK(members_field(watcher.take()) == "1");  // a watcher does not count itself
}

TEST_CASE("evictions are summarised at most once a second, each one only when asked") {
  Reporting r({}, false);
  for (const char* id : {"a", "b", "c", "d"}) r.event(MembershipEvent::kJoined, id);
  r.take();
  // The first eviction is told at once, as a summary.
  r.event(MembershipEvent::kEvicted, "a");
  std::string out = r.take();
  CHECK(out.find(R"("event":"members_evicted","node":"n1","count":1,"members":4})") !=
        std::string::npos);
  CHECK(out.find("member_evicted") == std::string::npos);
  // A flood within the second: not one line.
  r.now += 200ms;
  r.event(MembershipEvent::kEvicted, "b");
  r.event(MembershipEvent::kEvicted, "c");
  CHECK(r.take().empty());
  // The next second's first eviction tells them all.
  r.now += 900ms;
  r.event(MembershipEvent::kEvicted, "d");
  out = r.take();
  CHECK(out.find(R"("count":3,"members":1})") != std::string::npos);
}

TEST_CASE("flush_evictions prints the pending count, and nothing when none is pending") {
  Reporting r({}, false);
  r.event(MembershipEvent::kJoined, "a");
  r.event(MembershipEvent::kJoined, "b");
  r.event(MembershipEvent::kEvicted, "a");  // told at once
  r.take();
  r.now += 10ms;
  r.event(MembershipEvent::kEvicted, "b");  // within the second: pending
  CHECK(r.take().empty());
  r.reporter.flush_evictions();
  CHECK(r.take().find(R"("event":"members_evicted","node":"n1","count":1,"members":1})") !=
        std::string::npos);
  r.reporter.flush_evictions();
  CHECK(r.take().empty());
}

TEST_CASE("--verbose prints each evicted member") {
  Reporting r({.each_eviction = true}, false);
  r.event(MembershipEvent::kJoined, "a");
  r.take();
  r.event(MembershipEvent::kEvicted, "a");
  CHECK(r.take().find(R"("event":"member_evicted","node":"n1","member":"a","members":1})") !=
        std::string::npos);
}

TEST_CASE("warnings and id conflicts are printed whatever the filter") {
  Reporting r({.joins_and_leaves = false, .deaths = false, .leaders = false}, false);
  boost::asio::io_context io;
  const lanlord::Node node(io, node_config());  // never started: no socket
  r.reporter.announce(node, false);
  r.callbacks.on_warning({lanlord::WarningKind::kAlone, "alone", {}});
  r.callbacks.on_id_conflict({.origin = "127.0.0.1:1",
                              .claim = {},
                              .instance = 1,
                              .refuted = false,
                              .duplicate = true,
                              .stopped = true});
  const std::string out = r.take();
  CHECK(out.find(R"("event":"warning")") != std::string::npos);
  CHECK(out.find(R"("event":"id_conflict")") != std::string::npos);
}

TEST_CASE("warnings given while the node starts are held until its started line") {
  Reporting r({}, false);
  r.callbacks.on_warning({lanlord::WarningKind::kUnauthenticated, "no key", {}});
  CHECK(r.take().empty());
  boost::asio::io_context io;
  const lanlord::Node node(io, node_config());
  r.reporter.announce(node);
  const std::string out = r.take();
  const std::size_t started = out.find(R"("event":"started")");
  const std::size_t warning = out.find(R"("event":"warning")");
  REQUIRE(started != std::string::npos);
  REQUIRE(warning != std::string::npos);
  CHECK(started < warning);
  r.callbacks.on_warning({lanlord::WarningKind::kAlone, "alone", {}});
  CHECK(r.take().find(R"("kind":"alone")") != std::string::npos);  // at once now

  Reporting quiet({.warnings = false}, true);  // watch --once
  quiet.reporter.announce(node, false);
  quiet.callbacks.on_warning({lanlord::WarningKind::kAlone, "alone", {}});
  CHECK(quiet.take().empty());
}

TEST_CASE(
    "leaders are printed with their epoch, and a new epoch of the same leader is a new term") {
  Reporting r({}, false);
  r.callbacks.on_leadership(
      "default", lanlord::LeaderInfo{.leader = PeerId("a"), .epoch = 5, .metadata = "m"});
  CHECK(r.take().find(R"("leader":"a","is_self":false,"epoch":"5","metadata":"m"})") !=
        std::string::npos);
  // The same epoch again (a repeated report) is no new term.
  r.callbacks.on_leadership(
      "default", lanlord::LeaderInfo{.leader = PeerId("a"), .epoch = 5, .metadata = "m"});
  CHECK(r.take().find("new_term") == std::string::npos);
  r.callbacks.on_leadership(
      "default", lanlord::LeaderInfo{.leader = PeerId("a"), .epoch = 9, .metadata = "m"});
  CHECK(r.take().find(R"("epoch":"9","metadata":"m","new_term":true})") != std::string::npos);
  // Another channel, and another leader, are no new term.
  r.callbacks.on_leadership(
      "jobs", lanlord::LeaderInfo{.leader = PeerId("a"), .epoch = 11, .metadata = ""});
  r.callbacks.on_leadership(
      "default", lanlord::LeaderInfo{.leader = PeerId("b"), .epoch = 12, .metadata = ""});
  CHECK(r.take().find("new_term") == std::string::npos);
  // After none, the same leader back is a change of hands, not a new term.
  r.callbacks.on_leadership("default", lanlord::LeaderInfo{});
  r.callbacks.on_leadership(
      "default", lanlord::LeaderInfo{.leader = PeerId("b"), .epoch = 13, .metadata = ""});
  CHECK(r.take().find("new_term") == std::string::npos);
}
