// A private network namespace for tests that need interfaces loopback
// cannot give (IPv6 multicast, `--interface auto`): created by the test,
// set up with `ip -n NAME ...` steps, always deleted. Where namespaces
// cannot be created (no privileges, no `ip`), usable() is false and
// why_not() says why, so the test can skip with the reason printed.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "socket_harness.hpp"

namespace lanlord::test {

struct Ran {
  int status = -1;
  std::string output;
  bool ok() const { return status == 0; }
};

// Runs `command` with its output on a pipe; timeout(1) ends it (and so
// the read) if it hangs.
inline Ran run_command(const std::string& command) {
  Ran r;
  const std::string limit = std::to_string(scaled(10s).count() / 1000) + "s";
  FILE* p = ::popen(("timeout " + limit + " " + command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.output += buf;
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class PrivateNetwork {
 public:
  // `steps`: arguments of `ip -n NAME` ("link add veth0 type veth peer name
  // veth1", ...), run in order after `lo` is up and IPv6 duplicate address
  // detection is off (addresses are usable at once).
  explicit PrivateNetwork(const std::vector<std::string>& steps) {
    name_ = "lanlord-test-" + std::to_string(test_rng()() % 100000000);
    Ran add = run_command("ip netns add " + name_);
    if (!add.ok()) {
      why_not_ =
          "cannot create a network namespace (`ip netns add` said: " + trim(add.output) + ")";
      name_.clear();
      return;
    }
    std::vector<std::string> all = {
        "netns exec " + name_ +
            " sysctl -q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0",
        "-n " + name_ + " link set lo up"};
    for (const std::string& s : steps) all.push_back("-n " + name_ + " " + s);
    for (const std::string& step : all) {
      Ran r = run_command("ip " + step);
      if (!r.ok()) {
        why_not_ = "cannot set up the namespace (`ip " + step + "` said: " + trim(r.output) + ")";
        return;
      }
    }
  }
  ~PrivateNetwork() {
    if (!name_.empty()) (void)run_command("ip netns del " + name_);
  }
  PrivateNetwork(const PrivateNetwork&) = delete;
  PrivateNetwork& operator=(const PrivateNetwork&) = delete;

  bool usable() const { return why_not_.empty(); }
  // Waits (bounded) until `device` is up with a carrier (IFF_RUNNING,
  // "LOWER_UP"): a veth end reports its carrier shortly after `link set
  // up` on both ends, not at once. False if it never does.
  bool await_running(const std::string& device) const {
    const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
    while (std::chrono::steady_clock::now() < deadline) {
      const Ran r = run_command("ip -n " + name_ + " -o link show dev " + device);
      if (r.ok() && r.output.find("LOWER_UP") != std::string::npos &&
          r.output.find(",UP") != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  // Runs one more `ip -n NAME` step; its output if it failed, else "".
  std::string step(const std::string& args) const {
    Ran r = run_command("ip -n " + name_ + " " + args);
    return r.ok() ? "" : "`ip " + args + "` said: " + trim(r.output);
  }
  const std::string& why_not() const { return why_not_; }
  const std::string& name() const { return name_; }

  // Runs `fn` on a thread that has entered the namespace: sockets it
  // opens (Node::start) belong to the namespace for good, whichever thread
  // runs their io_context later. Returns why the thread could not enter
  // (empty: it did). A failed assertion inside `fn` is rethrown on the
  // calling thread.
  std::string run_inside(const std::function<void()>& fn) const {
    std::string why_not;
    std::exception_ptr failure;
    std::thread t([&] {
      const std::string path = "/run/netns/" + name_;
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        why_not = "open(" + path + "): " + std::strerror(errno);
        return;
      }
      const bool entered = ::setns(fd, CLONE_NEWNET) == 0;
      if (!entered) why_not = std::string("setns(2): ") + std::strerror(errno);
      ::close(fd);
      if (!entered) return;
      try {
        fn();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    t.join();
    if (failure) std::rethrow_exception(failure);
    return why_not;
  }

 private:
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  std::string name_;
  std::string why_not_;
};

}  // namespace lanlord::test
