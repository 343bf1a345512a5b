// lanlord under a Type=notify unit, without systemd: the test binds the
// datagram socket systemd would (NOTIFY_SOCKET, a path in a scratch
// directory), starts real lanlord processes on loopback with it, and reads
// what they tell the service manager.
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "child_process.hpp"

using namespace std::chrono_literals;
using lanlord::testing::after;
using lanlord::testing::ChildProcess;
using lanlord::testing::Deadline;

namespace {

const std::string kLanlord = LANLORD_CLI_PATH;

// The service manager's end: a datagram socket at a fresh path.
class FakeNotifySocket {
 public:
  FakeNotifySocket() {
    std::string dir = (std::filesystem::temp_directory_path() / "lanlord-notify-XXXXXX").string();
    REQUIRE(::mkdtemp(dir.data()) != nullptr);
    dir_ = dir;
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    path_.copy(addr.sun_path, path_.size());
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~FakeNotifySocket() {
    ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  FakeNotifySocket(const FakeNotifySocket&) = delete;
  FakeNotifySocket& operator=(const FakeNotifySocket&) = delete;

  const std::string& path() const { return path_; }

  // The next message, or nothing by the deadline.
  std::optional<std::string> next(Deadline deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        std::string m(buf, static_cast<std::size_t>(n));
        seen.push_back(m);
        return m;
      }
    }
  }
  // Reads until a message contains `text`; that message, or nothing.
  std::optional<std::string> await(const std::string& text, Deadline deadline) {
    while (std::optional<std::string> m = next(deadline)) {
      if (m->find(text) != std::string::npos) return m;
    }
    return std::nullopt;
  }
  std::string all() const {
    std::string out;
    for (const std::string& m : seen) out += "[" + m + "]\n";
    return out;
  }

  std::vector<std::string> seen;

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

std::vector<std::string> node_args(std::vector<std::string> command) {
  static std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<int> octet(1, 254);
  std::uniform_int_distribution<int> port(20000, 59999);
  const std::vector<std::string> net = {"--group",
                                        "239." + std::to_string(octet(rng)) + "." +
                                            std::to_string(octet(rng)) + "." +
                                            std::to_string(octet(rng)),
                                        "--port",
                                        std::to_string(port(rng)),
                                        "--profile",
                                        "fast",
                                        "--cluster",
                                        "sd-" + std::to_string(::getpid())};
  command.insert(command.end(), net.begin(), net.end());
  return command;
}

}  // namespace

TEST_CASE("systemd: READY once a leader is known, STATUS names it, WATCHDOG pings, STOPPING") {
  FakeNotifySocket manager;
  ChildProcess node(kLanlord, node_args({"join", "--id", "sd-a", "--channel", "jobs"}),
                    {"NOTIFY_SOCKET=" + manager.path(), "WATCHDOG_USEC=200000"});
  const std::optional<std::string> ready = manager.await("READY=1", after(20s));
  REQUIRE_MESSAGE(ready, manager.all() << node.stderr_text());
  CHECK_MESSAGE(ready->find("STATUS=jobs: sd-a (this node), epoch ") != std::string::npos,
                manager.all());
  // Pings every 100 ms (half of WATCHDOG_USEC); three prove it repeats.
  for (int i = 0; i < 3; ++i) {
    CHECK_MESSAGE(manager.await("WATCHDOG=1", after(5s)), manager.all());
  }
  node.signal(SIGTERM);
  CHECK_MESSAGE(manager.await("STOPPING=1", after(15s)), manager.all());
  CHECK(node.wait(after(15s)) == 0);
}

TEST_CASE("systemd: with no leader to find, READY comes when the startup grace has passed") {
  // A watcher on an empty group: no channel, no leader. The fast profile's
  // startup grace is 1 s; READY must not come before it.
  FakeNotifySocket manager;
  const auto spawned = std::chrono::steady_clock::now();
  ChildProcess watch(kLanlord, node_args({"watch", "--channel", "jobs"}),
                     {"NOTIFY_SOCKET=" + manager.path()});
  const std::optional<std::string> ready = manager.await("READY=1", after(20s));
  REQUIRE_MESSAGE(ready, manager.all() << watch.stderr_text());
  CHECK(std::chrono::steady_clock::now() - spawned >= 1s);
  CHECK_MESSAGE(ready->find("STATUS=no channel heard of yet") != std::string::npos, manager.all());
  watch.signal(SIGTERM);
  CHECK(watch.wait(after(15s)) == 0);
}
