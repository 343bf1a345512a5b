// --metrics-listen for a command's node (join, run, watch): the metrics
// server, rendering the node's stats at each scrape, and its event.
#pragma once

#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "lanlord/node.hpp"
#include "lanlord/status.hpp"
#include "metrics/listen_address.hpp"
#include "metrics/metrics_server.hpp"
#include "output/event_printer.hpp"

namespace lanlord::cli {

// Lives on a command's stack after the node it reads (so it is destroyed
// first) and before io.run().
class NodeMetrics {
 public:
  // `node_id`: lanlord_info's node_id (the reporter's label: a passive
  // node's "watch-..." name).
  NodeMetrics(boost::asio::io_context& io, const Node& node, std::string node_id);

  // Binds `where` (before the node starts, so a busy port stops the command
  // before it joins the cluster). Nothing when `where` is empty.
  Status listen(const std::optional<ListenAddress>& where);
  // Once the node has started: serves, and prints metrics_listening with
  // the address (the port chosen when 0 was asked for).
  void start(EventPrinter& printer);
  // Closes the listener and the connections (as the node stops).
  void stop();

 private:
  boost::asio::io_context& io_;
  const Node& node_;
  std::string node_id_;
  std::optional<MetricsServer> server_;
};

}  // namespace lanlord::cli
