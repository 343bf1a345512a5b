// A node's numbers in Prometheus's text exposition format (version 0.0.4),
// built from a NodeStats snapshot at scrape time. prometheus-cpp (its core:
// the data model, names, escaping and the text format) stays inside this
// file's .cpp: no Prometheus type reaches a header. The metrics and their
// meaning are listed in cli/README.md ("Metrics").
#pragma once

#include <string>

#include "lanlord/node_core.hpp"

namespace lanlord::cli {

// What lanlord_info says about the node (the labels of its one series).
struct MetricsInfo {
  std::string node_id;
  std::string cluster;
  std::string profile;
  std::string version;
  std::string backend = "udp";  // backend_name(NodeConfig::backend)
};

// The Content-Type of metrics_text()'s output.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Every metric of `stats`, one family per metric, in the text format.
// With the etcd backend (stats.etcd.enabled) the lanlord_etcd_* families
// replace the datagram, socket, drop and declaration/proposal families,
// which have no meaning there and are left out rather than shown as 0.
std::string metrics_text(const MetricsInfo& info, const NodeStats& stats);

}  // namespace lanlord::cli
