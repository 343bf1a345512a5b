// What the `lanlord` process tests share: a random loopback network (group
// and port), running lanlord to completion, reading its JSON lines, a
// three-node `join` cluster that agrees on a leader, a temporary directory.
// Every cluster uses --profile fast, a random group in 239.0.0.0/8 and a
// random port, and the default interface (loopback). The including test
// defines LANLORD_CLI_PATH.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <stdlib.h>

#include "child_process.hpp"

namespace lanlord::testing {

using namespace std::chrono_literals;

inline const std::string kLanlord = LANLORD_CLI_PATH;

// Generous: sanitizer builds and a loaded CI machine are slow; the fast
// profile itself agrees within about a second.
inline constexpr auto kAgreement = 20s;
inline constexpr auto kExit = 10s;

struct Net {
  std::string group;
  std::string port;
};

inline Net random_net() {
  static std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<int> octet(1, 254);
  std::uniform_int_distribution<int> port(20000, 59999);
  return {"239." + std::to_string(octet(rng)) + "." + std::to_string(octet(rng)) + "." +
              std::to_string(octet(rng)),
          std::to_string(port(rng))};
}

inline std::vector<std::string> args(std::vector<std::string> command, const Net& net) {
  command.insert(command.end(), {"--profile", "fast", "--group", net.group, "--port", net.port});
  return command;
}

// Runs lanlord to completion: exit code, stdout, stderr.
struct Finished {
  int code = -1;
  std::string out;
  std::string err;
};
inline Finished run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 30s) {
  ChildProcess p(kLanlord, argv);
  const std::optional<int> code = p.wait(after(timeout));
  REQUIRE_MESSAGE(code.has_value(), "lanlord did not exit in time");
  return {*code, p.pending_stdout(), p.stderr_text()};
}

// A field of one of lanlord's JSON lines: a string's content (the ids in
// these tests need no unescaping), or the literal (null, true, 3).
inline std::optional<std::string> field(const std::string& line, const std::string& key) {
  const std::string tag = "\"" + key + "\":";
  const std::size_t at = line.find(tag);
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + tag.size();
  if (i < line.size() && line[i] == '"') {
    const std::size_t end = line.find('"', i + 1);
    return line.substr(i + 1, end - i - 1);
  }
  const std::size_t end = line.find_first_of(",}", i);
  return line.substr(i, end - i);
}

// One datagram on `socket` within `limit`: its size, or nothing. Every
// socket read in a test has a deadline.
inline std::optional<std::size_t> receive_within(boost::asio::io_context& io,
                                                 boost::asio::ip::udp::socket& socket,
                                                 boost::asio::mutable_buffer buffer,
                                                 std::chrono::milliseconds limit) {
  std::optional<std::size_t> got;
  boost::asio::ip::udp::endpoint from;
  socket.async_receive_from(buffer, from,
                            [&got](const boost::system::error_code& ec, std::size_t n) {
                              if (!ec) got = n;
                            });
  io.restart();
  io.run_for(limit);
  if (!got) {
    // Let the cancelled handler run before `got` and `from` go.
    socket.cancel();
    io.restart();
    io.run();
  }
  return got;
}

inline bool is_event(const std::string& line, const std::string& event) {
  return field(line, "event") == event;
}

// The JSON contract every line keeps: an object with ts (RFC 3339, ms),
// event and node.
inline void check_contract(const std::string& line) {
  static const std::regex kShape(
      R"(^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","event":"[a-z_]+","node":".*\}$)");
  CHECK_MESSAGE(std::regex_match(line, kShape), line);
}

// One `lanlord join --json` process and what its output said last.
struct JoinProcess {
  std::string id;
  std::unique_ptr<ChildProcess> process;
  std::optional<std::string> leader;  // the latest leader event; nothing: none
  bool is_self = false;
  std::vector<std::string> lines;

  JoinProcess(std::string node_id, const Net& net, std::vector<std::string> extra = {})
      : id(std::move(node_id)) {
    std::vector<std::string> argv = args({"join", "--id", id, "--json"}, net);
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<ChildProcess>(kLanlord, argv);
  }

  // `lanlord join --id ID --json --profile fast` and `options`, without a
  // group (unicast nodes have none).
  struct NoGroup {};
  JoinProcess(std::string node_id, NoGroup, const std::vector<std::string>& options)
      : id(std::move(node_id)) {
    std::vector<std::string> argv = {"join", "--id", id, "--json", "--profile", "fast"};
    argv.insert(argv.end(), options.begin(), options.end());
    process = std::make_unique<ChildProcess>(kLanlord, argv);
  }

  // Reads whatever lines arrive before `deadline`; false once stdout closed
  // or the deadline passed with nothing new.
  bool poll(Deadline deadline) {
    const std::optional<std::string> line = process->read_line(deadline);
    if (!line) return false;
    check_contract(*line);
    lines.push_back(*line);
    if (is_event(*line, "leader")) {
      // check_contract() has required the field; value_or keeps a broken
      // line from being undefined behaviour here.
      const std::string value = field(*line, "leader").value_or("null");
      leader = value == "null" ? std::nullopt : std::optional<std::string>(value);
      is_self = field(*line, "is_self") == "true";
    }
    return true;
  }

  bool saw(const std::string& event, const std::string& member) const {
    for (const std::string& l : lines) {
      if (is_event(l, event) && field(l, "member") == member) return true;
    }
    return false;
  }
};

// Reads every process's output until they all name the same leader and
// exactly one of them says it is that leader. The leader's id, or "".
inline std::string await_agreement(const std::vector<JoinProcess*>& nodes, Deadline deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    for (JoinProcess* n : nodes) {
      while (n->poll(after(20ms))) {
      }
    }
    std::set<std::string> leaders;
    int selves = 0;
    bool all_know = true;
    for (const JoinProcess* n : nodes) {
      if (!n->leader) all_know = false;
      if (n->leader) leaders.insert(*n->leader);
      if (n->is_self) ++selves;
    }
    if (all_know && leaders.size() == 1 && selves == 1) return *leaders.begin();
  }
  return "";
}

// Three nodes. Which one leads is not fixed: node-a has the lowest id, but
// if it starts late (a slow, loaded machine) the other two may already have
// elected node-b, and a node that hears a declaration follows it.
struct Cluster {
  Net net = random_net();
  std::vector<std::unique_ptr<JoinProcess>> nodes;

  explicit Cluster(std::vector<std::string> extra = {}) {
    for (const char* id : {"node-a", "node-b", "node-c"}) {
      nodes.push_back(std::make_unique<JoinProcess>(id, net, extra));
    }
  }
  std::vector<JoinProcess*> all() const {
    std::vector<JoinProcess*> out;
    for (const auto& n : nodes) out.push_back(n.get());
    return out;
  }
};

// A temporary directory for key files, removed with what is in it.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = "/tmp/lanlord-cli-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    const std::string command = "rm -rf '" + path + "'";
    if (std::system(command.c_str()) != 0)
      std::fprintf(stderr, "could not remove %s\n", path.c_str());
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

}  // namespace lanlord::testing
