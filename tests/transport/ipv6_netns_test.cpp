// IPv6 multicast on real sockets. Linux does not deliver IPv6 multicast
// over loopback, so the nodes run in a private network namespace created
// for this test, on one end of a veth pair: nothing can leave it. The
// namespace is always deleted; where namespaces cannot be created (no
// privileges, no `ip`), the test is skipped with the reason printed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>

#include "socket_harness.hpp"

using namespace lanlord;
using namespace lanlord::test;

namespace {

struct Ran {
  int status = -1;
  std::string output;
  bool ok() const { return status == 0; }
};

// Runs `command` with its output on a pipe; timeout(1) ends it (and so
// the read) if it hangs.
Ran run(const std::string& command) {
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

// A network namespace with a veth pair (veth0 <-> veth1), both up, IPv6
// duplicate address detection off so addresses are usable at once, and
// fd00:7676::1/64 on veth0. Deleted on destruction, whatever happened.
class PrivateNetwork {
 public:
  PrivateNetwork() {
    name_ = "lanlord-test-" + std::to_string(test_rng()() % 100000000);
    Ran add = run("ip netns add " + name_);
    if (!add.ok()) {
      why_not_ =
          "cannot create a network namespace (`ip netns add` said: " + trim(add.output) + ")";
      name_.clear();
      return;
    }
    const std::string in = "ip -n " + name_ + " ";
    for (const std::string& step :
         {"ip netns exec " + name_ +
              " sysctl -q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0",
          in + "link add veth0 type veth peer name veth1", in + "link set lo up",
          in + "link set veth0 up", in + "link set veth1 up",
          in + "addr add fd00:7676::1/64 dev veth0 nodad"}) {
      Ran r = run(step);
      if (!r.ok()) {
        why_not_ = "cannot set up the namespace (`" + step + "` said: " + trim(r.output) + ")";
        return;
      }
    }
  }
  ~PrivateNetwork() {
    if (!name_.empty()) (void)run("ip netns del " + name_);
  }
  PrivateNetwork(const PrivateNetwork&) = delete;
  PrivateNetwork& operator=(const PrivateNetwork&) = delete;

  bool usable() const { return why_not_.empty(); }
  const std::string& why_not() const { return why_not_; }
  const std::string& name() const { return name_; }

  // Runs `fn` on a thread that has entered the namespace: sockets it
  // opens (Node::start) belong to the namespace for good, whichever thread
  // runs their io_context later. Returns false if setns(2) failed.
  // Returns why the thread could not enter (empty: it did). A failed
  // assertion inside `fn` is rethrown on the calling thread.
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

}  // namespace

TEST_CASE("socket: IPv6 multicast in a private network namespace") {
  PrivateNetwork net;
  if (!net.usable()) {
    MESSAGE("skipped: " << net.why_not());
    return;
  }
  IoThread io;
  Net where = fresh_net();
  std::ostringstream group;
  group << "ff15::7676:" << std::hex << (test_rng()() % 0xffff + 1);
  where.group = group.str();

  Nodes nodes(io.io(), where);
  const std::string not_entered = net.run_inside([&] {
    for (int i = 0; i < 3; ++i) {
      NodeConfig c = fast_config(where, "v6-" + std::to_string(i));
      c.interface_name = "veth0";
      c.ttl = 1;
      nodes.spawn(c);
    }
  });
  if (!not_entered.empty()) {
    MESSAGE("skipped: cannot enter " << net.name() << ": " << not_entered);
    return;
  }
  REQUIRE(nodes.size() == 3);
  CHECK(nodes.node(0).describe_endpoint().find("on veth0") != std::string::npos);

  REQUIRE(wait_until([&] { return nodes.agreed_leader("default").has_value(); }));
  for (std::size_t i = 0; i < 3; ++i) CHECK(wait_until([&] { return nodes.sees_alive(i, 3); }));
  const PeerId old = *nodes.agreed_leader("default");
  nodes.node(*nodes.index_of(old)).stop();
  CHECK(wait_until([&] {
    auto l = nodes.agreed_leader("default");
    return l && *l != old;
  }));
  // The nodes (and their sockets) go before the namespace does.
}
