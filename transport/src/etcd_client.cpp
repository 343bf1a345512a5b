// Placeholder: the etcd client is being written (etcd_client.hpp).
#include "etcd_client.hpp"

namespace lanlord::transport::etcd {

Status validate(const ClientConfig& config) {
  if (config.endpoints.empty()) return Status::error("no etcd endpoint");
  return Status::ok();
}

std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace lanlord::transport::etcd
