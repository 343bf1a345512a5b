// A private etcd for the tests: `etcd` from PATH on 127.0.0.1 with two
// free ports (client, peer) and a fresh data directory, its output in a
// log file there. The constructor returns once the server answers GET
// /health (polled, bounded by 10 s times the test factor); stop()/kill()
// and start() restart it on the same ports and data; the destructor stops
// it and removes the directory. Never the default ports 2379/2380.
//
// With Options::tls the client URL is https (a throwaway CA and a server
// certificate for 127.0.0.1 made with the openssl CLI, see make_test_pki),
// and /health is polled on a plain-http metrics URL (a third port).
//
// Also a blocking plain-http POST (post()) for what the tests do behind
// the client's back: compaction, enabling authentication.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "time_scale.hpp"

namespace lanlord::testing {

namespace etcd_detail {

inline std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string paths = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = paths.find(':', start);
    const std::string dir = paths.substr(start, colon == std::string::npos ? colon : colon - start);
    if (!dir.empty()) {
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string::npos) return {};
    start = colon + 1;
  }
}

// A port the kernel considers free now (bound to port 0, then released).
inline std::uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace etcd_detail

struct PlainHttpReply {
  unsigned status = 0;  // 0: no answer (cannot connect, timed out, malformed)
  std::string body;
};

// One HTTP/1.1 request to http://127.0.0.1:port`target` (Connection:
// close), blocking, within `limit` (not scaled: pass a scaled one). `body`
// empty with GET; a JSON body with POST.
inline PlainHttpReply plain_http(std::uint16_t port, const std::string& method,
                                 const std::string& target, const std::string& body,
                                 std::chrono::milliseconds limit,
                                 const std::string& extra_headers = {}) {
  PlainHttpReply reply;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return reply;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto wait_for = [&](short events) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd, events, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      return r > 0;
    }
  };
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS || !wait_for(POLLOUT)) return reply;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return reply;
  }
  std::string request = method + " " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n" + extra_headers;
  if (method != "GET" || !body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(POLLOUT)) return reply;
    } else {
      return reply;
    }
  }
  std::string data;
  for (;;) {
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      data.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(POLLIN)) return reply;
    } else {
      return reply;
    }
  }
  // Status line, headers, then the body (plain or chunked).
  const std::size_t head_end = data.find("\r\n\r\n");
  if (data.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos || data.size() < 12) {
    return reply;
  }
  const unsigned status = static_cast<unsigned>(std::atoi(data.c_str() + 9));
  std::string head = data.substr(0, head_end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string rest = data.substr(head_end + 4);
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    std::string decoded;
    std::size_t at = 0;
    for (;;) {
      const std::size_t eol = rest.find("\r\n", at);
      if (eol == std::string::npos) return reply;
      const std::size_t size = std::stoul(rest.substr(at, eol - at), nullptr, 16);
      if (size == 0) break;
      if (eol + 2 + size > rest.size()) return reply;
      decoded += rest.substr(eol + 2, size);
      at = eol + 2 + size + 2;
    }
    rest = std::move(decoded);
  }
  reply.status = status;
  reply.body = std::move(rest);
  return reply;
}

// A throwaway PKI in `dir` for a TLS etcd on 127.0.0.1: ca.pem (and
// ca-key.pem), server.pem/server-key.pem (SAN IP:127.0.0.1, localhost),
// client.pem/client-key.pem. Made with the openssl CLI; throws if that fails.
struct TestPki {
  std::string ca, server_cert, server_key, client_cert, client_key;
};
inline TestPki make_test_pki(const std::string& dir) {
  const std::string openssl = etcd_detail::find_in_path("openssl");
  if (openssl.empty()) throw std::runtime_error("openssl not found: run scripts/install-deps.sh");
  auto run = [&](const std::string& command) {
    const std::string full = "cd '" + dir + "' && " + command + " >>pki.log 2>&1";
    if (std::system(full.c_str()) != 0) {
      throw std::runtime_error("making the test PKI failed: " + command + "\n" +
                               etcd_detail::read_file(dir + "/pki.log"));
    }
  };
  run("'" + openssl +
      "' req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
      " -subj /CN=lanlord-test-ca -keyout ca-key.pem -out ca.pem");
  for (const char* who : {"server", "client"}) {
    const std::string w = who;
    run("'" + openssl + "' req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" +
        w + " -keyout " + w + "-key.pem -out " + w + ".csr");
    std::ofstream(dir + "/" + w + ".ext")
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n";
    run("'" + openssl + "' x509 -req -in " + w + ".csr -CA ca.pem -CAkey ca-key.pem " +
        "-CAcreateserial -days 2 -extfile " + w + ".ext -out " + w + ".pem");
  }
  return {dir + "/ca.pem", dir + "/server.pem", dir + "/server-key.pem", dir + "/client.pem",
          dir + "/client-key.pem"};
}

class EtcdServer {
 public:
  struct Options {
    bool tls = false;                       // https client URL (see make_test_pki)
    bool client_cert_auth = false;          // with tls: clients need a certificate
    std::vector<std::string> extra_args{};  // appended to etcd's arguments
  };

  EtcdServer() : EtcdServer(Options{}) {}
  explicit EtcdServer(Options options) : options_(std::move(options)) {
    etcd_ = etcd_detail::find_in_path("etcd");
    if (etcd_.empty()) throw std::runtime_error("etcd not found: run scripts/install-deps.sh");
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/lanlord-etcd-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + templ);
    }
    dir_ = templ;
    client_port_ = etcd_detail::free_tcp_port();
    peer_port_ = etcd_detail::free_tcp_port();
    while (peer_port_ == client_port_) peer_port_ = etcd_detail::free_tcp_port();
    if (options_.tls) {
      pki_ = make_test_pki(dir_);
      health_port_ = etcd_detail::free_tcp_port();
      while (health_port_ == client_port_ || health_port_ == peer_port_) {
        health_port_ = etcd_detail::free_tcp_port();
      }
    } else {
      health_port_ = client_port_;
    }
    try {
      start();
    } catch (...) {
      cleanup();
      throw;
    }
  }

  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;
  ~EtcdServer() { cleanup(); }

  // "http://127.0.0.1:PORT" (https with Options::tls).
  std::string endpoint() const {
    return std::string(options_.tls ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(client_port_);
  }
  std::uint16_t client_port() const { return client_port_; }
  std::uint16_t peer_port() const { return peer_port_; }
  const std::string& dir() const { return dir_; }
  const TestPki& pki() const { return pki_; }
  bool running() const { return pid_ > 0; }

  // Starts etcd (again, after stop()/kill(): same ports, same data) and
  // waits until it answers /health; throws with the log if it does not.
  void start() {
    if (pid_ > 0) return;
    const std::string client = endpoint();
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    std::vector<std::string> args = {
        etcd_,
        "--name=lanlord-test",
        "--data-dir=" + dir_ + "/data",
        "--listen-client-urls=" + client,
        "--advertise-client-urls=" + client,
        "--listen-peer-urls=" + peer,
        "--initial-advertise-peer-urls=" + peer,
        "--initial-cluster=lanlord-test=" + peer,
        "--initial-cluster-token=lanlord-test-" + std::to_string(client_port_),
        // A fast election: the single member leads ~0.1 s after start.
        "--heartbeat-interval=10",
        "--election-timeout=100",
        "--logger=zap",
        "--log-outputs=stderr",
    };
    if (options_.tls) {
      args.push_back("--cert-file=" + pki_.server_cert);
      args.push_back("--key-file=" + pki_.server_key);
      // etcd 3.4 asks every client for a certificate once it has a
      // trusted CA file, so only with client_cert_auth.
      if (options_.client_cert_auth) {
        args.push_back("--trusted-ca-file=" + pki_.ca);
        args.push_back("--client-cert-auth");
      }
      args.push_back("--listen-metrics-urls=http://127.0.0.1:" + std::to_string(health_port_));
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    std::vector<char*> argv;
    for (std::string& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    const std::string log_path = dir_ + "/etcd.log";
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log_path);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(log_fd);
      if (null_fd >= 0) ::close(null_fd);
      throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
      // A test that crashes runs no destructor: etcd goes with it (the
      // signal comes when the thread that started it ends: start() is
      // called from the test's own thread).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    pid_ = pid;
    const auto limit = lanlord::test::scaled(std::chrono::seconds(10));
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto delay = std::chrono::milliseconds(5);
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("etcd exited at start (status " + std::to_string(status) +
                                 "); its log:\n" + log());
      }
      const PlainHttpReply r =
          plain_http(health_port_, "GET", "/health", "", std::chrono::milliseconds(500));
      if (r.status == 200 && r.body.find("\"true\"") != std::string::npos) return;
      if (std::chrono::steady_clock::now() >= deadline) {
        kill();
        throw std::runtime_error("etcd did not answer /health within " +
                                 std::to_string(limit.count()) + " ms; its log:\n" + log());
      }
      std::this_thread::sleep_for(delay);  // a polling slice
      delay = std::min(delay * 2, std::chrono::milliseconds(50));
    }
  }

  // SIGTERM, and waits for it to exit (SIGKILL after 10 s times the factor).
  void stop() { end(SIGTERM); }
  // SIGKILL, and waits.
  void kill() { end(SIGKILL); }

  // Everything etcd has written, for failure messages.
  std::string log() const { return etcd_detail::read_file(dir_ + "/etcd.log"); }

  // A POST of `json` to the client URL (plain http only), e.g.
  // post("/v3/kv/compaction", R"({"revision":"5"})"); `token` is sent as
  // the Authorization header when not empty.
  PlainHttpReply post(const std::string& target, const std::string& json,
                      const std::string& token = {}) const {
    if (options_.tls) throw std::runtime_error("EtcdServer::post() is plain http only");
    return plain_http(client_port_, "POST", target, json,
                      lanlord::test::scaled(std::chrono::seconds(5)),
                      token.empty() ? std::string() : "Authorization: " + token + "\r\n");
  }

 private:
  void end(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    const auto deadline =
        std::chrono::steady_clock::now() + lanlord::test::scaled(std::chrono::seconds(10));
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pid_ = -1;
  }

  void cleanup() {
    end(SIGTERM);
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  Options options_;
  std::string etcd_;
  std::string dir_;
  std::uint16_t client_port_ = 0;
  std::uint16_t peer_port_ = 0;
  std::uint16_t health_port_ = 0;
  TestPki pki_;
  pid_t pid_ = -1;
};

}  // namespace lanlord::testing
