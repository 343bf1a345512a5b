#include "metrics/exposition.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstddef>
#include <string_view>
#include <vector>

#include "lanlord/app/utf8.hpp"
#include "lanlord/message.hpp"

namespace lanlord::cli {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Registry;

// Label values must be UTF-8 (the format escapes \\, " and newlines
// itself): ids and channel names are bytes, so an invalid byte becomes
// U+FFFD.
std::string label(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t cp = 0;
    const std::size_t n = app::utf8_sequence(bytes, i, cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

double as_double(std::uint64_t n) {
  return static_cast<double>(n);
}

// One counter family with a series per channel, from one ChannelStats field.
void per_channel_counter(Registry& registry, const char* name, const char* help,
                         const NodeStats& stats, std::uint64_t ChannelStats::*field) {
  auto& family = BuildCounter().Name(name).Help(help).Register(registry);
  for (const ChannelStats& c : stats.channels) {
    family.Add({{"channel", label(c.channel)}}).Increment(as_double(c.*field));
  }
}

void node_metrics(Registry& registry, const MetricsInfo& info) {
  BuildGauge()
      .Name("lanlord_info")
      .Help("Always 1; the labels describe this lanlord node")
      .Register(registry)
      .Add({{"node_id", label(info.node_id)},
            {"cluster", label(info.cluster)},
            {"profile", label(info.profile)},
            {"version", label(info.version)},
            {"backend", label(info.backend)}})
      .Set(1);
}

void channel_metrics(Registry& registry, const NodeStats& stats) {
  auto& is_leader = BuildGauge()
                        .Name("lanlord_is_leader")
                        .Help("1 while this node leads the channel, else 0")
                        .Register(registry);
  auto& epoch = BuildGauge()
                    .Name("lanlord_leader_epoch")
                    .Help(
                        "Fencing epoch of the leadership this node knows of (0: no leader "
                        "known); a float, so compare changes, not digits")
                    .Register(registry);
  auto& leader = BuildGauge()
                     .Name("lanlord_leader_info")
                     .Help(
                         "1 for the leader this node knows of in the channel (no series: none "
                         "known)")
                     .Register(registry);
  auto& alive = BuildGauge()
                    .Name("lanlord_members_alive")
                    .Help(
                        "Members alive in the channel as this node sees them, itself included "
                        "unless passive")
                    .Register(registry);
  auto& failover = BuildHistogram()
                       .Name("lanlord_failover_seconds")
                       .Help("Time from this node losing its leader to knowing the next")
                       .Register(registry);
  const prometheus::Histogram::BucketBoundaries bounds(FailoverHistogram::kBounds.begin(),
                                                       FailoverHistogram::kBounds.end());
  for (const ChannelStats& c : stats.channels) {
    const prometheus::Labels labels{{"channel", label(c.channel)}};
    is_leader.Add(labels).Set(c.is_leader ? 1 : 0);
    epoch.Add(labels).Set(as_double(c.epoch));
    if (c.leader)
      leader.Add({{"channel", label(c.channel)}, {"leader_id", label(c.leader->bytes())}}).Set(1);
    alive.Add(labels).Set(as_double(c.alive_peers));
    const std::vector<double> counts(c.failovers.counts.begin(), c.failovers.counts.end());
    failover.Add(labels, bounds).ObserveMultiple(counts, c.failovers.sum_seconds);
  }
  per_channel_counter(registry, "lanlord_leader_changes_total",
                      "Changes of the leader this node knows of, or of its epoch", stats,
                      &ChannelStats::leader_changes);
  per_channel_counter(registry, "lanlord_elections_total",
                      "Elections this node took part in or started (proposal rounds, and "
                      "leaderships taken without one)",
                      stats, &ChannelStats::elections);
  if (stats.etcd.enabled) return;  // the UDP protocol's messages: none with etcd
  per_channel_counter(registry, "lanlord_declarations_sent_total",
                      "Leadership declarations this node sent", stats,
                      &ChannelStats::declarations_sent);
  per_channel_counter(registry, "lanlord_declarations_received_total",
                      "Leadership declarations this node received and admitted", stats,
                      &ChannelStats::declarations_received);
  per_channel_counter(registry, "lanlord_proposals_sent_total", "Election proposals this node sent",
                      stats, &ChannelStats::proposals_sent);
  per_channel_counter(registry, "lanlord_proposals_received_total",
                      "Election proposals this node received and admitted", stats,
                      &ChannelStats::proposals_received);
}

void traffic_metrics(Registry& registry, const NodeStats& stats) {
  auto& datagrams = BuildCounter()
                        .Name("lanlord_datagrams_total")
                        .Help("UDP datagrams received (dropped ones included) and sent")
                        .Register(registry);
  datagrams.Add({{"direction", "in"}}).Increment(as_double(stats.datagrams_in));
  datagrams.Add({{"direction", "out"}}).Increment(as_double(stats.datagrams_out));
  auto& bytes = BuildCounter()
                    .Name("lanlord_bytes_total")
                    .Help("UDP payload bytes received and sent")
                    .Register(registry);
  bytes.Add({{"direction", "in"}}).Increment(as_double(stats.bytes_in));
  bytes.Add({{"direction", "out"}}).Increment(as_double(stats.bytes_out));
  auto& errors = BuildCounter()
                     .Name("lanlord_socket_errors_total")
                     .Help("Receives that failed, and sends the socket refused")
                     .Register(registry);
  errors.Add({{"direction", "in"}}).Increment(as_double(stats.receive_errors));
  errors.Add({{"direction", "out"}}).Increment(as_double(stats.send_errors));
  auto& drops = BuildCounter()
                    .Name("lanlord_dropped_datagrams_total")
                    .Help("Received datagrams not believed, by reason")
                    .Register(registry);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    drops.Add({{"reason", drop_reason_name(reason)}}).Increment(as_double(stats.dropped(reason)));
  }
}

// Unicast mode (--no-multicast): the address book. Absent in multicast
// mode, where every one would be 0.
void unicast_metrics(Registry& registry, const NodeStats& stats) {
  if (stats.unicast_targets + stats.addresses_learned + stats.lost_addresses == 0) return;
  const auto gauge = [&registry](const char* name, const char* help, std::uint64_t value) {
    BuildGauge().Name(name).Help(help).Register(registry).Add({}).Set(as_double(value));
  };
  const auto counter = [&registry](const char* name, const char* help, std::uint64_t value) {
    BuildCounter().Name(name).Help(help).Register(registry).Add({}).Increment(as_double(value));
  };
  gauge("lanlord_unicast_targets", "Addresses each message is sent to (unicast mode)",
        stats.unicast_targets);
  gauge("lanlord_unicast_targets_capped",
        "Addresses left out by the target cap (--max-unicast-targets)", stats.targets_capped);
  gauge("lanlord_unicast_lost_addresses",
        "Forgotten members' addresses sent a reconnect heartbeat each idle interval",
        stats.lost_addresses);
  counter("lanlord_unicast_addresses_learned_total",
          "Member addresses learned or changed, from members' own heartbeats",
          stats.addresses_learned);
  counter("lanlord_unicast_introductions_total",
          "Members introduced by another member's digest (with a key)", stats.introductions);
  counter("lanlord_unicast_reconnects_total", "Reconnect heartbeats sent to lost members",
          stats.reconnects);
}

// The etcd backend: its connection, lease and requests. Absent with the
// udp backend.
void etcd_metrics(Registry& registry, const NodeStats& stats) {
  const EtcdStats& e = stats.etcd;
  if (!e.enabled) return;
  BuildGauge()
      .Name("lanlord_etcd_connected")
      .Help("1 while the last request to etcd succeeded, else 0; endpoint: the one in use")
      .Register(registry)
      .Add({{"endpoint", label(e.endpoint)}})
      .Set(e.connected ? 1 : 0);
  BuildGauge()
      .Name("lanlord_etcd_lease_ttl_seconds")
      .Help("TTL of the lease held, as etcd granted it (0: none held)")
      .Register(registry)
      .Add({})
      .Set(as_double(e.lease_id != 0 ? e.lease_ttl : 0U));
  const auto counter = [&registry](const char* name, const char* help, std::uint64_t value) {
    BuildCounter().Name(name).Help(help).Register(registry).Add({}).Increment(as_double(value));
  };
  counter("lanlord_etcd_requests_total", "HTTP requests sent to etcd (a watch stream counts once)",
          e.requests);
  counter("lanlord_etcd_request_errors_total",
          "Requests to etcd that failed: connection, timeout, HTTP or etcd error",
          e.request_errors);
  counter("lanlord_etcd_keepalives_total", "Lease keep-alives etcd answered", e.keepalives);
  counter("lanlord_etcd_leases_granted_total",
          "Leases taken (one at start, and one after each loss)", e.leases_granted);
  counter("lanlord_etcd_leases_lost_total",
          "Leases given up: expired, or etcd unreachable past the safety margin", e.leases_lost);
  counter("lanlord_etcd_campaigns_total", "Candidate keys created", e.campaigns);
  counter("lanlord_etcd_watch_events_total", "Key changes received on the watch", e.watch_events);
  counter("lanlord_etcd_watch_restarts_total", "Watch streams opened again after a break",
          e.watch_restarts);
}

}  // namespace

std::string metrics_text(const MetricsInfo& info, const NodeStats& stats) {
  Registry registry;
  node_metrics(registry, info);
  channel_metrics(registry, stats);
  if (stats.etcd.enabled) {
    etcd_metrics(registry, stats);
  } else {
    traffic_metrics(registry, stats);
    unicast_metrics(registry, stats);
  }
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace lanlord::cli
