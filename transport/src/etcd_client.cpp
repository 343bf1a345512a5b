// Placeholder: the etcd client is being written (etcd_client.hpp).
#include "etcd_client.hpp"

namespace lanlord::transport::etcd {

Status validate(const ClientConfig& config) {
  if (config.endpoints.empty()) return Status::error("no etcd endpoint");
  return Status::ok();
}

// Placeholder definitions (every call fails) until the client lands.
class Client::Impl {};
Client::Client(Strand, std::shared_ptr<NodeGuard>, ClientConfig) {}
Client::~Client() = default;
void Client::grant(int, std::function<void(Status, std::int64_t, int)>) {}
void Client::keep_alive(std::int64_t, std::function<void(Status, int)>) {}
void Client::revoke(std::int64_t, std::function<void(Status)>) {}
void Client::create(const std::string&, const std::string&, std::int64_t,
                    std::function<void(Status, std::int64_t, std::int64_t)>) {}
void Client::range(const std::string&, std::int64_t,
                   std::function<void(Status, std::vector<KeyValue>, std::int64_t)>) {}
void Client::erase(const std::string&, std::function<void(Status)>) {}
void Client::watch(const std::string&, std::int64_t,
                   std::function<void(const std::vector<WatchEvent>&, std::int64_t)>,
                   std::function<void(Status, std::int64_t)>) {}
void Client::cancel_watch() {}
Status Client::revoke_now(std::int64_t, Duration) {
  return Status::error("the etcd client is not built yet");
}
void Client::close() {}
ClientStats Client::stats() const {
  return {};
}

std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace lanlord::transport::etcd
