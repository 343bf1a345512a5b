// The seam under Node: one implementation per backend (NodeConfig::backend).
// Node's public methods forward here one to one; each backend keeps Node's
// documented contract (threading, callbacks on a strand under the node's
// lock, none after stop()).
//   udp_backend.cpp   NodeCore and a link (multicast or unicast)
//   etcd_backend.cpp  an etcd v3 cluster's leases and keys
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lanlord/node.hpp"

namespace lanlord::transport {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Status start() = 0;
  virtual void stop() = 0;
  virtual bool running() const = 0;
  virtual Status reload_keys(Keyring keys) = 0;
  virtual void yield(const std::string& channel) = 0;
  virtual bool is_leader(const std::string& channel) const = 0;
  virtual std::optional<PeerId> leader(const std::string& channel) const = 0;
  virtual LeaderInfo leadership(const std::string& channel) const = 0;
  virtual std::vector<Member> members() const = 0;
  virtual NodeStats stats() const = 0;
  virtual const NodeConfig& config() const = 0;
  virtual Profile profile() const = 0;
  virtual std::uint64_t incarnation() const = 0;
  virtual std::string describe_endpoint() const = 0;
};

std::unique_ptr<Backend> make_udp_backend(boost::asio::io_context& io, NodeConfig config,
                                          NodeCallbacks callbacks);
std::unique_ptr<Backend> make_etcd_backend(boost::asio::io_context& io, NodeConfig config,
                                           NodeCallbacks callbacks);

// The core's share of a NodeConfig (udp_backend.cpp).
NodeCoreConfig core_config(const NodeConfig& config, Profile profile);

// validate_config()'s share for each backend (the common checks run first).
Status validate_udp_config(const NodeConfig& config);
Status validate_etcd_config(const NodeConfig& config);

}  // namespace lanlord::transport
