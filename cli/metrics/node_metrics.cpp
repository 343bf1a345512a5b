#include "metrics/node_metrics.hpp"

#include <utility>

#include "metrics/exposition.hpp"

#ifndef LANLORD_VERSION
#define LANLORD_VERSION "unknown"
#endif

namespace lanlord::cli {

NodeMetrics::NodeMetrics(boost::asio::io_context& io, const Node& node, std::string node_id)
    : io_(io), node_(node), node_id_(std::move(node_id)) {}

Status NodeMetrics::listen(const std::optional<ListenAddress>& where) {
  if (!where) return Status::ok();
  server_.emplace(
      io_,
      [this] {
        const NodeConfig& c = node_.config();
        return metrics_text(
            {node_id_, c.cluster, c.profile, LANLORD_VERSION, backend_name(c.backend)},
            node_.stats());
      },
      kMetricsContentType);
  return server_->listen(*where);
}

void NodeMetrics::start(EventPrinter& printer) {
  if (!server_) return;
  server_->start();
  printer.metrics_listening(node_id_, server_->local_address());
}

void NodeMetrics::stop() {
  if (server_) server_->stop();
}

}  // namespace lanlord::cli
