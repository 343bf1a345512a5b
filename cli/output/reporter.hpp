// Connects a Node's callbacks to an EventPrinter: the one place where
// "something happened in a node" becomes "print a line".
#pragma once

#include <string>

#include "lanlord/node.hpp"
#include "output/event_printer.hpp"

namespace lanlord::cli {

// Which events to print.
struct ReportFilter {
  bool joins_and_leaves = true;  // member_joined, member_left, member_restarted
  bool deaths = true;            // member_dead
  bool leaders = true;           // leader
  // Dropped datagrams, except this node's own looped back to it (every
  // datagram it sends, so noise rather than news).
  bool drops = false;
};

// Must outlive the Node it reports on; one reporter per node.
class NodeReporter {
 public:
  NodeReporter(EventPrinter& printer, std::string label, ReportFilter filter);
  NodeReporter(const NodeReporter&) = delete;
  NodeReporter& operator=(const NodeReporter&) = delete;

  // Callbacks that print; they capture this reporter.
  NodeCallbacks callbacks();
  // The node to ask for the alive count; set before start().
  void attach(const Node& node) { node_ = &node; }
  const std::string& label() const { return label_; }

 private:
  std::size_t alive() const;

  EventPrinter& printer_;
  const std::string label_;
  const ReportFilter filter_;
  const Node* node_ = nullptr;
};

// The `started` line's content for a running node.
StartedInfo started_info(const Node& node, const std::string& label);

}  // namespace lanlord::cli
