// lanlord_flood: the two halves of scripts/flood.sh, a member under a
// flood of made-up ids and the flood itself, in separate processes so the
// member's memory can be read from /proc.
//
//   lanlord_flood node --id ID --group G --port P --cluster C [--profile lan]
//       Runs one Node on loopback until SIGINT/SIGTERM, then stops it
//       gracefully. Prints one JSON line a second (and a last one at the
//       end): what it holds, what it refused, and every event that touched
//       a member whose id does not start with "fake-" (a real member); each
//       such event also goes to stderr as it happens, with its time.
//   lanlord_flood send --group G --port P --cluster C --rate N --seconds S
//       Sends N valid, unkeyed heartbeats a second, each from a new id
//       "fake-<n>" in channel "default", for S seconds, paced on a 1 ms grid;
//       prints one JSON line at the end.
//
// Network safety: both sides use loopback only (interface lo, TTL 0).
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../transport/group_socket.hpp"
#include "lanlord/node.hpp"

using namespace lanlord;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "lanlord_flood: " << why
            << "\nusage: lanlord_flood node --id ID --group G --port P --cluster C [--profile P]\n"
               "       lanlord_flood send --group G --port P --cluster C --rate N --seconds S\n";
  std::exit(2);
}

std::map<std::string, std::string> options(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 2; i < argc; i += 2) {
    const std::string key = argv[i];
    if (!key.starts_with("--") || i + 1 >= argc) usage("bad option '" + key + "'");
    out[key.substr(2)] = argv[i + 1];
  }
  return out;
}

std::string need(const std::map<std::string, std::string>& o, const std::string& key) {
  const auto it = o.find(key);
  if (it == o.end()) usage("--" + key + " is required");
  return it->second;
}

std::string json_text(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

bool real(const PeerId& id) {
  return !id.bytes().starts_with("fake-");
}

int run_node(const std::map<std::string, std::string>& o) {
  NodeConfig c;
  c.id = need(o, "id");
  c.group = need(o, "group");
  c.port = static_cast<std::uint16_t>(std::stoi(need(o, "port")));
  c.cluster = need(o, "cluster");
  c.interface_name = "lo";
  c.ttl = 0;
  c.profile = o.count("profile") ? o.at("profile") : "lan";

  // Counters only: an event log would itself grow with the flood.
  std::mutex mutex;
  std::uint64_t leader_changes = 0;
  std::map<std::string, std::uint64_t> real_events;  // "dead n2" -> count
  std::optional<PeerId> leader;
  NodeCallbacks cb;
  cb.on_leader_changed = [&](const std::string&, const std::optional<PeerId>& l, bool) {
    std::lock_guard lock(mutex);
    ++leader_changes;
    leader = l;
  };
  const auto start = std::chrono::steady_clock::now();
  const auto ms_since_start = [&start] {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count());
  };
  cb.on_membership = [&](MembershipEvent e, const Member& m) {
    if (!real(m.id)) return;
    std::lock_guard lock(mutex);
    ++real_events[std::string(to_string(e)) + " " + m.id.bytes()];
    // When, to set beside the kernel's drops (stderr: stdout is one report a second).
    std::fprintf(stderr, "%lld ms: member %s %s\n", ms_since_start(),
                 std::string(to_string(e)).c_str(), m.id.bytes().c_str());
  };

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  Node node(io, c, cb);
  if (Status s = node.start(); !s) {
    std::cerr << "lanlord_flood: " << s.message() << "\n";
    return 1;
  }
  std::atomic<bool> done{false};
  signals.async_wait([&](const boost::system::error_code&, int) {
    node.stop();
    done = true;
  });
  std::thread runner([&io] { io.run(); });

  const auto report = [&] {
    const NodeStats s = node.stats();
    std::size_t alive = 0;
    for (const Member& m : node.members()) alive += m.alive && real(m.id) ? 1 : 0;
    std::lock_guard lock(mutex);
    std::string events;
    for (const auto& [what, n] : real_events) {
      events += (events.empty() ? "" : ",") + json_text(what) + ":" + std::to_string(n);
    }
    std::printf(
        "{\"t_ms\":%lld,\"peers\":%llu,\"evictions\":%llu,\"rate_limited\":%llu,"
        "\"member_cap\":%llu,\"datagrams_in\":%llu,\"receive_errors\":%llu,\"datagrams_out\":%llu,"
        "\"send_errors\":%llu,\"real_alive\":%zu,"
        "\"leader\":%s,\"leader_changes\":%llu,\"real_member_events\":{%s}}\n",
        ms_since_start(), static_cast<unsigned long long>(s.peers),
        static_cast<unsigned long long>(s.evictions),
        static_cast<unsigned long long>(s.dropped(DropReason::kRateLimited)),
        static_cast<unsigned long long>(s.dropped(DropReason::kMemberCap)),
        static_cast<unsigned long long>(s.datagrams_in),
        static_cast<unsigned long long>(s.receive_errors),
        static_cast<unsigned long long>(s.datagrams_out),
        static_cast<unsigned long long>(s.send_errors), alive,
        leader ? json_text(leader->bytes()).c_str() : "null",
        static_cast<unsigned long long>(leader_changes), events.c_str());
    std::fflush(stdout);
  };
  auto next = start;
  while (!done) {
    next += 1s;
    while (!done && std::chrono::steady_clock::now() < next) std::this_thread::sleep_for(20ms);
    report();
  }
  runner.join();
  return 0;
}

int run_send(const std::map<std::string, std::string>& o) {
  const std::string cluster = need(o, "cluster");
  const long rate = std::stol(need(o, "rate"));
  const double seconds = std::stod(need(o, "seconds"));
  if (rate <= 0 || seconds <= 0) usage("--rate and --seconds must be positive");
  test::GroupSender sender(need(o, "group"),
                           static_cast<std::uint16_t>(std::stoi(need(o, "port"))));

  const std::uint64_t life = test::wall_now_ns();
  const auto start = std::chrono::steady_clock::now();
  const auto total = static_cast<std::uint64_t>(static_cast<double>(rate) * seconds);
  std::uint64_t sent = 0, errors = 0;
  // Each 1 ms tick sends what the rate owes by then, so the pace holds on
  // average even when a tick comes late.
  for (auto tick = start; sent < total;) {
    tick += 1ms;
    std::this_thread::sleep_until(tick);
    const double elapsed = std::chrono::duration<double>(tick - start).count();
    const auto owed =
        std::min(total, static_cast<std::uint64_t>(elapsed * static_cast<double>(rate)));
    for (; sent < owed; ++sent) {
      char id[32];
      std::snprintf(id, sizeof id, "fake-%08llu", static_cast<unsigned long long>(sent));
      const Message m = test::forged(cluster, id, {life, 1}, Heartbeat{{"default"}, "", 0});
      if (!sender.send(test::datagram_of(m))) ++errors;
    }
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"sent\":%llu,\"send_errors\":%llu,\"seconds\":%.3f,\"rate\":%.0f}\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(errors), took,
              static_cast<double>(sent) / took);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  const std::string mode = argv[1];
  const auto o = options(argc, argv);
  if (mode == "node") return run_node(o);
  if (mode == "send") return run_send(o);
  usage("unknown mode '" + mode + "'");
}
