// The Prometheus exposition of a node's stats, without a network: names,
// types, labels, the histogram's buckets, and the escaping of label values.
#include <doctest/doctest.h>

#include <string>

#include "lanlord/node_core.hpp"
#include "metrics/exposition.hpp"

using namespace std::chrono_literals;
using lanlord::ChannelStats;
using lanlord::DropReason;
using lanlord::NodeStats;
using lanlord::PeerId;
using lanlord::cli::metrics_text;
using lanlord::cli::MetricsInfo;

namespace {

NodeStats sample() {
  NodeStats s;
  s.datagrams_in = 120;
  s.datagrams_out = 80;
  s.bytes_in = 12000;
  s.bytes_out = 8000;
  s.drops[static_cast<std::size_t>(DropReason::kStale)] = 3;
  ChannelStats c;
  c.channel = "billing";
  c.is_leader = true;
  c.leader = PeerId("node-a");
  c.epoch = 42;
  c.alive_peers = 3;
  c.leader_changes = 2;
  c.elections = 1;
  c.declarations_sent = 17;
  c.declarations_received = 5;
  c.failovers.observe(40ms);   // le 0.05
  c.failovers.observe(300ms);  // le 0.5
  c.failovers.observe(2s);     // le 2.5
  s.channels.push_back(c);
  return s;
}

const MetricsInfo kInfo{"node-a", "prod", "fast", "1.2.3"};

bool has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("metrics text: every family with its type, labels and value") {
  const std::string t = metrics_text(kInfo, sample());
  INFO(t);
  CHECK(has(
      t,
      R"(lanlord_info{backend="udp",cluster="prod",node_id="node-a",profile="fast",version="1.2.3"} 1)"));
  CHECK(has(t, "# TYPE lanlord_is_leader gauge"));
  CHECK(has(t, R"(lanlord_is_leader{channel="billing"} 1)"));
  CHECK(has(t, R"(lanlord_leader_epoch{channel="billing"} 42)"));
  CHECK(has(t, R"(lanlord_leader_info{channel="billing",leader_id="node-a"} 1)"));
  CHECK(has(t, R"(lanlord_members_alive{channel="billing"} 3)"));
  CHECK(has(t, "# TYPE lanlord_leader_changes_total counter"));
  CHECK(has(t, R"(lanlord_leader_changes_total{channel="billing"} 2)"));
  CHECK(has(t, R"(lanlord_elections_total{channel="billing"} 1)"));
  CHECK(has(t, R"(lanlord_declarations_sent_total{channel="billing"} 17)"));
  CHECK(has(t, R"(lanlord_declarations_received_total{channel="billing"} 5)"));
  CHECK(has(t, R"(lanlord_datagrams_total{direction="in"} 120)"));
  CHECK(has(t, R"(lanlord_datagrams_total{direction="out"} 80)"));
  CHECK(has(t, R"(lanlord_bytes_total{direction="in"} 12000)"));
  CHECK(has(t, R"(lanlord_dropped_datagrams_total{reason="stale"} 3)"));
  // Every reason has a series, zero or not, so that rate() sees the first drop.
  CHECK(has(t, R"(lanlord_dropped_datagrams_total{reason="unauthenticated"} 0)"));
}

TEST_CASE("metrics text: unicast mode's address book, absent in multicast mode") {
  CHECK(metrics_text(kInfo, sample()).find("lanlord_unicast") == std::string::npos);
  NodeStats s = sample();
  s.unicast_targets = 15;
  s.targets_capped = 2;
  s.addresses_learned = 16;
  s.introductions = 9;
  s.lost_addresses = 1;
  s.reconnects = 30;
  const std::string t = metrics_text(kInfo, s);
  INFO(t);
  CHECK(has(t, "# TYPE lanlord_unicast_targets gauge"));
  CHECK(has(t, "lanlord_unicast_targets 15"));
  CHECK(has(t, "lanlord_unicast_targets_capped 2"));
  CHECK(has(t, "lanlord_unicast_lost_addresses 1"));
  CHECK(has(t, "# TYPE lanlord_unicast_addresses_learned_total counter"));
  CHECK(has(t, "lanlord_unicast_addresses_learned_total 16"));
  CHECK(has(t, "lanlord_unicast_introductions_total 9"));
  CHECK(has(t, "lanlord_unicast_reconnects_total 30"));
}

TEST_CASE("metrics text: the failover histogram is cumulative, in seconds, per channel") {
  const std::string t = metrics_text(kInfo, sample());
  INFO(t);
  CHECK(has(t, "# TYPE lanlord_failover_seconds histogram"));
  CHECK(has(t, R"(lanlord_failover_seconds_count{channel="billing"} 3)"));
  const std::string sum = R"(lanlord_failover_seconds_sum{channel="billing"} )";
  const std::size_t at = t.find(sum);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(t.substr(at + sum.size())) == doctest::Approx(2.34));
  CHECK(has(t, R"(lanlord_failover_seconds_bucket{channel="billing",le="0.025"} 0)"));
  CHECK(has(t, R"(lanlord_failover_seconds_bucket{channel="billing",le="0.05"} 1)"));
  CHECK(has(t, R"(lanlord_failover_seconds_bucket{channel="billing",le="0.25"} 1)"));
  CHECK(has(t, R"(lanlord_failover_seconds_bucket{channel="billing",le="0.5"} 2)"));
  CHECK(has(t, R"(lanlord_failover_seconds_bucket{channel="billing",le="2.5"} 3)"));
  CHECK(has(t, R"(lanlord_failover_seconds_bucket{channel="billing",le="60"} 3)"));
  CHECK(has(t, R"(lanlord_failover_seconds_bucket{channel="billing",le="+Inf"} 3)"));
}

TEST_CASE("metrics text: label values escape quotes, backslashes and newlines, and stay UTF-8") {
  NodeStats s = sample();
  s.channels[0].channel = "a\"b\\c\nd";
  s.channels[0].leader = PeerId(std::string("n\xff-\xc3\xa9"));  // an invalid byte, then é
  const std::string t = metrics_text(kInfo, s);
  INFO(t);
  CHECK(has(t, R"(lanlord_is_leader{channel="a\"b\\c\nd"} 1)"));
  CHECK(has(
      t,
      "lanlord_leader_info{channel=\"a\\\"b\\\\c\\nd\",leader_id=\"n\xef\xbf\xbd-\xc3\xa9\"} 1"));
}

TEST_CASE(
    "metrics text: a passive node's channels: no leadership of its own, the leader it knows") {
  NodeStats s;
  ChannelStats c;
  c.channel = "jobs";
  c.leader = PeerId("node-b");
  c.epoch = 7;
  c.alive_peers = 2;
  s.channels.push_back(c);
  ChannelStats none;
  none.channel = "idle";
  s.channels.push_back(none);
  const std::string t = metrics_text(kInfo, s);
  INFO(t);
  CHECK(has(t, R"(lanlord_is_leader{channel="jobs"} 0)"));
  CHECK(has(t, R"(lanlord_leader_info{channel="jobs",leader_id="node-b"} 1)"));
  CHECK(has(t, R"(lanlord_leader_epoch{channel="idle"} 0)"));
  CHECK(t.find(R"(lanlord_leader_info{channel="idle")") == std::string::npos);
}
