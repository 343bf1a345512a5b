// The etcd backend (NodeConfig::backend == Backend::kEtcd).
#include "backend.hpp"
#include "etcd_client.hpp"

namespace lanlord::transport {

Status validate_etcd_config(const NodeConfig& c) {
  (void)c;
  return Status::error("the etcd backend is not built yet");
}

std::unique_ptr<Backend> make_etcd_backend(boost::asio::io_context& io, NodeConfig config,
                                           NodeCallbacks callbacks) {
  return make_udp_backend(io, std::move(config), std::move(callbacks));
}

}  // namespace lanlord::transport
