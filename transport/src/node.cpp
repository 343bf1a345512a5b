// Node: the embedding API. It picks the backend (NodeConfig::backend) and
// forwards every call to it (backend.hpp).
#include "lanlord/node.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>

#include "backend.hpp"

namespace lanlord {

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::kUdp:
      return "udp";
    case Backend::kEtcd:
      return "etcd";
  }
  return "?";
}

std::optional<Backend> parse_backend(std::string_view name) {
  if (name == "udp") return Backend::kUdp;
  if (name == "etcd") return Backend::kEtcd;
  return std::nullopt;
}

std::string default_node_id() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  const std::string name = host[0] != '\0' ? host.data() : "host";
  // Random, not the pid: containers in their own PID namespaces on one
  // host share both the host name and the pid (often 1).
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rd() & 0xffffff));
  // Ids are at most kMaxIdSize bytes: keep the suffix, shorten the host.
  return name.substr(0, kMaxIdSize - 7) + "-" + suffix;
}

Result<Profile> resolve_profile(const NodeConfig& config) {
  return resolve_profile(config.profile, config.timings);
}

Status validate_config(const NodeConfig& config) {
  return config.backend == Backend::kEtcd ? transport::validate_etcd_config(config)
                                          : transport::validate_udp_config(config);
}

class Node::Impl {
 public:
  explicit Impl(std::unique_ptr<transport::Backend> b) : backend(std::move(b)) {}
  std::unique_ptr<transport::Backend> backend;
};

namespace {
std::unique_ptr<transport::Backend> make_backend(boost::asio::io_context& io, NodeConfig config,
                                                 NodeCallbacks callbacks) {
  if (config.backend == Backend::kEtcd) {
    return transport::make_etcd_backend(io, std::move(config), std::move(callbacks));
  }
  return transport::make_udp_backend(io, std::move(config), std::move(callbacks));
}
}  // namespace

Node::Node(boost::asio::io_context& io, NodeConfig config, NodeCallbacks callbacks)
    : impl_(std::make_unique<Impl>(make_backend(io, std::move(config), std::move(callbacks)))) {}
Node::~Node() = default;
Status Node::start() {
  return impl_->backend->start();
}
void Node::stop() {
  impl_->backend->stop();
}
bool Node::running() const {
  return impl_->backend->running();
}
Status Node::reload_keys(Keyring keys) {
  return impl_->backend->reload_keys(std::move(keys));
}
void Node::yield(const std::string& channel) {
  impl_->backend->yield(channel);
}
bool Node::is_leader(const std::string& channel) const {
  return impl_->backend->is_leader(channel);
}
LeaderInfo Node::leadership(const std::string& channel) const {
  return impl_->backend->leadership(channel);
}
std::optional<PeerId> Node::leader(const std::string& channel) const {
  return impl_->backend->leader(channel);
}
std::vector<Member> Node::members() const {
  return impl_->backend->members();
}
NodeStats Node::stats() const {
  return impl_->backend->stats();
}
const NodeConfig& Node::config() const {
  return impl_->backend->config();
}
Profile Node::profile() const {
  return impl_->backend->profile();
}
std::uint64_t Node::incarnation() const {
  return impl_->backend->incarnation();
}
std::string Node::describe_endpoint() const {
  return impl_->backend->describe_endpoint();
}

}  // namespace lanlord
