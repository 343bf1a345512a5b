// The etcd v3 client (etcd_client.hpp): HTTP/1.1 with Boost.Beast over
// Asio (plain or TLS), JSON with nlohmann-json, base64 with libsodium.
// The only file that includes Beast and Asio's SSL: they are expensive to
// compile.
#include "etcd_client.hpp"

#include <sodium.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

namespace lanlord::transport::etcd {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// ---- Endpoints ------------------------------------------------------------

struct Endpoint {
  bool tls = false;
  std::string host;  // an IPv6 address without its brackets
  std::string port;
  std::string text;  // "http://host:port", without a trailing '/'
};

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Status parse_endpoint(const std::string& given, Endpoint& out) {
  const std::string where = "etcd endpoint '" + given + "'";
  const std::string lower = lowercase(given);
  std::string rest;
  if (lower.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = given.substr(7);
  } else if (lower.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = given.substr(8);
  } else {
    return Status::error(where + " has an unknown scheme: give http:// or https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find_first_of("/?#") != std::string::npos) {
    return Status::error(where + " has a path: give only scheme://host:port");
  }
  if (rest.find('@') != std::string::npos) {
    return Status::error(where + " has user information: give user and password as settings");
  }
  std::string host;
  std::string port;
  bool v6 = false;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string::npos) {
      return Status::error(where + " has an unclosed '[' around its IPv6 address");
    }
    host = rest.substr(1, close - 1);
    const std::string after = rest.substr(close + 1);
    if (after.empty()) {
      return Status::error(where + " has no port: give scheme://host:port");
    }
    if (after.front() != ':') return Status::error(where + " has text after its IPv6 address");
    port = after.substr(1);
    boost::system::error_code ec;
    asio::ip::make_address_v6(host, ec);
    if (ec) return Status::error(where + " has a bad IPv6 address '" + host + "'");
    v6 = true;
  } else {
    const std::size_t colon = rest.rfind(':');
    if (colon == std::string::npos) {
      return Status::error(where + " has no port: give scheme://host:port");
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return Status::error(where + " has an IPv6 address without brackets: give [address]:port");
    }
    for (const char c : host) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '.' && c != '_') {
        return Status::error(where + " has a bad host name '" + host + "'");
      }
    }
  }
  if (host.empty()) return Status::error(where + " has no host");
  bool digits = !port.empty() && port.size() <= 5;
  for (const char c : port) digits = digits && std::isdigit(static_cast<unsigned char>(c)) != 0;
  if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return Status::error(where + " has a bad port '" + port + "': give 1..65535");
  }
  out.host = host;
  out.port = std::to_string(std::stoi(port));
  out.text = std::string(out.tls ? "https" : "http") + "://" + (v6 ? "[" + host + "]" : host) +
             ":" + out.port;
  return Status::ok();
}

bool file_readable(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// The TLS context the https endpoints use: the CA (or the system's), and
// the client certificate. Needs a validated config.
Status make_tls_context(const ClientConfig& c, ssl::context& context) {
  boost::system::error_code ec;
  context.set_verify_mode(ssl::verify_peer, ec);
  if (c.cacert.empty()) {
    context.set_default_verify_paths(ec);
    if (ec) return Status::error("etcd: cannot load the system's CA certificates: " + ec.message());
  } else {
    if (!file_readable(c.cacert)) {
      return Status::error("etcd cacert '" + c.cacert + "' is not a readable file");
    }
    context.load_verify_file(c.cacert, ec);
    if (ec) {
      return Status::error("etcd cacert '" + c.cacert +
                           "' is not a PEM CA bundle: " + ec.message());
    }
  }
  if (!c.cert.empty()) {
    if (!file_readable(c.cert)) {
      return Status::error("etcd cert '" + c.cert + "' is not a readable file");
    }
    if (!file_readable(c.key)) {
      return Status::error("etcd key '" + c.key + "' is not a readable file");
    }
    context.use_certificate_chain_file(c.cert, ec);
    if (ec) {
      return Status::error("etcd cert '" + c.cert + "' is not a PEM certificate: " + ec.message());
    }
    context.use_private_key_file(c.key, ssl::context::pem, ec);
    if (ec) {
      return Status::error("etcd key '" + c.key + "' is not a PEM private key for cert '" + c.cert +
                           "': " + ec.message());
    }
  }
  return Status::ok();
}

bool wants_tls(const ClientConfig& c, const std::vector<Endpoint>& endpoints) {
  if (!c.cacert.empty() || !c.cert.empty() || !c.key.empty()) return true;
  return std::any_of(endpoints.begin(), endpoints.end(), [](const Endpoint& e) { return e.tls; });
}

Status parse_config(const ClientConfig& c, std::vector<Endpoint>& endpoints) {
  if (c.endpoints.empty()) return Status::error("no etcd endpoint: give at least one");
  for (const std::string& text : c.endpoints) {
    Endpoint e;
    if (Status s = parse_endpoint(text, e); !s) return s;
    endpoints.push_back(e);
  }
  if (c.cert.empty() != c.key.empty()) {
    return Status::error("etcd cert and key go together: give both or neither");
  }
  if (c.user.empty() != c.password.empty()) {
    return Status::error("etcd user and password go together: give both or neither");
  }
  if (c.request_timeout <= Duration::zero()) {
    return Status::error("etcd request timeout must be positive");
  }
  return Status::ok();
}

// ---- Encoding ---------------------------------------------------------------

std::string base64(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

// The gateway writes int64 as strings and leaves out zero values.
std::int64_t get_int(const json& object, const char* name) {
  if (!object.is_object()) return 0;
  const auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      throw std::runtime_error(std::string("field '") + name + "' is not an integer");
    }
  }
  throw std::runtime_error(std::string("field '") + name + "' is not an integer");
}

std::string get_bytes(const json& object, const char* name) {
  if (!object.is_object()) return {};
  const auto it = object.find(name);
  if (it == object.end()) return {};
  if (!it->is_string()) throw std::runtime_error(std::string("field '") + name + "' is not text");
  std::optional<std::string> bytes = unbase64(it->get<std::string>());
  if (!bytes) throw std::runtime_error(std::string("field '") + name + "' is not base64");
  return *bytes;
}

KeyValue to_kv(const json& kv) {
  KeyValue out;
  out.key = get_bytes(kv, "key");
  out.value = get_bytes(kv, "value");
  out.create_revision = get_int(kv, "create_revision");
  out.mod_revision = get_int(kv, "mod_revision");
  out.lease = get_int(kv, "lease");
  return out;
}

std::string format_duration(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

// The message of an etcd error answer (the gateway's {"error": "...",
// "message": "...", "code": N} or a stream's {"error": {"message": ...}}),
// or the body itself.
std::string error_text(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    const json& e = j.contains("error") && j["error"].is_object() ? j["error"] : j;
    if (e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.contains("error") && e["error"].is_string()) return e["error"].get<std::string>();
  }
  std::string text = body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "no details" : text;
}

bool auth_token_rejected(const std::string& message) {
  return message.find("invalid auth token") != std::string::npos ||
         message.find("token is expired") != std::string::npos ||
         message.find("user name is empty") != std::string::npos;
}

// ---- One connection ---------------------------------------------------------

// One HTTP/1.1 connection to one endpoint, plain or TLS, on `executor`:
// connects on demand, keeps the connection for the next exchange, and
// closes it on any error. A deadline timer closes the socket when it
// passes, which ends whatever is pending with an error (reported as a
// timeout). Not thread-safe: one executor (the node's strand) drives it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Done = std::function<void(Status)>;

  Connection(asio::any_io_executor executor, Endpoint endpoint, ssl::context* tls)
      : executor_(executor),
        endpoint_(std::move(endpoint)),
        tls_(tls),
        resolver_(executor),
        timer_(executor) {}

  const Endpoint& endpoint() const { return endpoint_; }
  bool connected() const { return connected_; }
  bool timed_out() const { return timed_out_; }

  void close() {
    ++generation_;
    connected_ = false;
    resolver_.cancel();
    timer_.cancel();
    if (secure_) beast::get_lowest_layer(*secure_).close();
    if (plain_) plain_->close();
  }

  // Arms the deadline: at `at`, the socket closes; a failure then reads
  // "timed out after `nominal`".
  void arm(TimePoint at, Duration nominal) {
    timed_out_ = false;
    timeout_ = nominal;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this(), g = generation_](boost::system::error_code ec) {
      if (ec || g != self->generation_) return;
      self->timed_out_ = true;
      self->close();
    });
  }
  void disarm() { timer_.cancel(); }

  // Resolves, connects and (https) shakes hands, unless connected.
  void connect(Done done) {
    if (connected_) {
      done(Status::ok());
      return;
    }
    if (tls_ == nullptr && endpoint_.tls) {
      done(fail("no TLS context", {}));
      return;
    }
    plain_.reset();
    secure_.reset();
    if (endpoint_.tls) {
      secure_.emplace(executor_, *tls_);
    } else {
      plain_.emplace(executor_);
    }
    const unsigned g = generation_;
    boost::system::error_code not_literal;
    const asio::ip::address address = asio::ip::make_address(endpoint_.host, not_literal);
    if (!not_literal) {  // an IP address: no resolver (nor its thread)
      const std::vector<tcp::endpoint> one = {
          tcp::endpoint(address, static_cast<unsigned short>(std::stoi(endpoint_.port)))};
      on_resolved(one, g, std::move(done));
      return;
    }
    resolver_.async_resolve(
        endpoint_.host, endpoint_.port,
        [self = shared_from_this(), g, done = std::move(done)](
            boost::system::error_code ec, const tcp::resolver::results_type& results) mutable {
          if (g != self->generation_ && !ec) ec = asio::error::operation_aborted;
          if (ec) return done(self->fail("cannot resolve " + self->endpoint_.host, ec));
          self->on_resolved(results, g, std::move(done));
        });
  }

  template <class Message>
  void write(Message& message, Done done) {
    const unsigned g = generation_;
    with_stream([&](auto& stream) {
      http::async_write(stream, message,
                        [self = shared_from_this(), g, done = std::move(done)](
                            boost::system::error_code ec, std::size_t) mutable {
                          self->finish(ec, g, "sending", done);
                        });
    });
  }

  void read(Response& response, Done done) {
    const unsigned g = generation_;
    with_stream([&](auto& stream) {
      http::async_read(stream, buffer_, response,
                       [self = shared_from_this(), g, done = std::move(done)](
                           boost::system::error_code ec, std::size_t) mutable {
                         self->finish(ec, g, "reading the answer", done);
                       });
    });
  }

  template <class Parser>
  void read_header(Parser& parser, Done done) {
    const unsigned g = generation_;
    with_stream([&](auto& stream) {
      http::async_read_header(stream, buffer_, parser,
                              [self = shared_from_this(), g, done = std::move(done)](
                                  boost::system::error_code ec, std::size_t) mutable {
                                self->finish(ec, g, "reading the answer", done);
                              });
    });
  }

  template <class Parser>
  void read_some(Parser& parser, Done done) {
    const unsigned g = generation_;
    with_stream([&](auto& stream) {
      http::async_read_some(stream, buffer_, parser,
                            [self = shared_from_this(), g, done = std::move(done)](
                                boost::system::error_code ec, std::size_t) mutable {
                              self->finish(ec, g, "reading the stream", done);
                            });
    });
  }

  // A failure's Status: "etcd <endpoint>: <what>: <reason>", or the timeout.
  Status fail(const std::string& what, boost::system::error_code ec) {
    close();
    if (timed_out_) {
      return Status::network("etcd " + endpoint_.text + ": timed out after " +
                             format_duration(timeout_));
    }
    std::string reason = ec ? ec.message() : std::string();
    if (ec == asio::error::eof || ec == http::error::end_of_stream) {
      reason = "the server closed the connection";
    }
    if (ec == asio::error::connection_refused) {
      return Status::network("etcd " + endpoint_.text + ": connection refused");
    }
    return Status::network("etcd " + endpoint_.text + ": " + what +
                           (reason.empty() ? "" : ": " + reason));
  }

 private:
  template <class F>
  void with_stream(F&& f) {
    if (secure_) {
      f(*secure_);
    } else {
      f(*plain_);
    }
  }
  beast::tcp_stream& tcp_layer() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

  template <class Endpoints>
  void on_resolved(const Endpoints& results, unsigned g, Done done) {
    tcp_layer().async_connect(results,
                              [self = shared_from_this(), g, done = std::move(done)](
                                  boost::system::error_code ec, const tcp::endpoint&) mutable {
                                if (g != self->generation_ && !ec)
                                  ec = asio::error::operation_aborted;
                                if (ec) return done(self->fail("cannot connect", ec));
                                boost::system::error_code ignored;
                                self->tcp_layer().socket().set_option(tcp::no_delay(true), ignored);
                                if (!self->secure_) {
                                  self->connected_ = true;
                                  return done(Status::ok());
                                }
                                self->handshake(g, std::move(done));
                              });
  }

  void handshake(unsigned g, Done done) {
    SSL* native = secure_->native_handle();
    boost::system::error_code ec;
    asio::ip::make_address(endpoint_.host, ec);
    if (ec) {  // a name: SNI
      SSL_set_tlsext_host_name(native, endpoint_.host.c_str());
    }
    secure_->set_verify_callback(ssl::host_name_verification(endpoint_.host));
    secure_->async_handshake(ssl::stream_base::client,
                             [self = shared_from_this(), g,
                              done = std::move(done)](boost::system::error_code ec2) mutable {
                               if (g != self->generation_ && !ec2) {
                                 ec2 = asio::error::operation_aborted;
                               }
                               if (ec2) return done(self->fail("TLS handshake failed", ec2));
                               self->connected_ = true;
                               done(Status::ok());
                             });
  }

  void finish(boost::system::error_code ec, unsigned g, const char* what, Done& done) {
    if (g != generation_ && !ec) ec = asio::error::operation_aborted;
    if (ec) return done(fail(what, ec));
    done(Status::ok());
  }

  asio::any_io_executor executor_;
  Endpoint endpoint_;
  ssl::context* tls_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  bool timed_out_ = false;
  Duration timeout_{};
  unsigned generation_ = 0;  // bumped by close(): completions of older operations fail
};

Request make_request(const Endpoint& e, const std::string& target, const std::string& body,
                     const std::string& token) {
  Request request{http::verb::post, target, 11};
  request.set(http::field::host, e.host.find(':') != std::string::npos
                                     ? "[" + e.host + "]:" + e.port
                                     : e.host + ":" + e.port);
  request.set(http::field::content_type, "application/json");
  if (!token.empty()) request.set(http::field::authorization, token);
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();
  return request;
}

// One exchange on `connection` within `timeout`: connect if needed, send,
// read the whole answer. A kept-alive connection the server has closed in
// the meantime is reopened once.
struct Exchange : std::enable_shared_from_this<Exchange> {
  std::shared_ptr<Connection> connection;
  Request request;
  Response response;
  std::function<void(Status, Response&)> done;
  bool reused = false;
  bool retried = false;
  TimePoint deadline{};
  Duration timeout{};

  void start(Duration limit) {
    timeout = limit;
    deadline = Clock::now() + limit;
    connection->arm(deadline, timeout);
    run();
  }

  void run() {
    reused = connection->connected();
    response = {};
    connection->connect([self = shared_from_this()](Status s) {
      if (!s) return self->complete(std::move(s));
      self->connection->write(self->request, [self](Status s2) {
        if (!s2) return self->retry_or(std::move(s2));
        self->connection->read(self->response, [self](Status s3) {
          if (!s3) return self->retry_or(std::move(s3));
          if (!self->response.keep_alive()) self->connection->close();
          self->complete(Status::ok());
        });
      });
    });
  }

  void retry_or(Status s) {
    if (reused && !retried && !connection->timed_out()) {
      retried = true;
      connection->arm(deadline, timeout);  // the failure closed it, and its timer
      run();
      return;
    }
    complete(std::move(s));
  }

  void complete(Status s) {
    connection->disarm();
    auto d = std::move(done);
    d(std::move(s), response);
  }
};

}  // namespace

Status validate(const ClientConfig& config) {
  std::vector<Endpoint> endpoints;
  if (Status s = parse_config(config, endpoints); !s) return s;
  if (wants_tls(config, endpoints)) {
    ssl::context context(ssl::context::tls_client);
    if (Status s = make_tls_context(config, context); !s) return s;
  }
  return Status::ok();
}

std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// ---- The client ---------------------------------------------------------------

class Client::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(Strand strand, std::shared_ptr<NodeGuard> guard, ClientConfig config)
      : strand_(std::move(strand)), guard_(std::move(guard)), config_(std::move(config)) {
    config_status_ = parse_config(config_, endpoints_);
    if (config_status_ && wants_tls(config_, endpoints_)) {
      tls_.emplace(ssl::context::tls_client);
      config_status_ = make_tls_context(config_, *tls_);
    }
    if (!endpoints_.empty()) stats_.endpoint = endpoints_.front().text;
  }

  // A unary call: `target` with `body`; `handle` turns a 200 answer's JSON
  // into the caller's callback, or fails with a Status.
  using Handler = std::function<void(Status, const json&)>;

  void call(std::string target, std::string body, Handler handler) {
    if (closed_) return;
    queue_.push_back({std::move(target), std::move(body), std::move(handler)});
    pump();
  }

  void watch(const std::string& prefix, std::int64_t start_revision,
             std::function<void(const std::vector<WatchEvent>&, std::int64_t)> on_events,
             std::function<void(Status, std::int64_t)> on_end) {
    cancel_watch();
    if (closed_) return;
    auto w = std::make_shared<WatchState>();
    w->on_events = std::move(on_events);
    w->on_end = std::move(on_end);
    json create = {{"key", base64(prefix)},
                   {"range_end", base64(prefix_end(prefix))},
                   {"start_revision", std::to_string(start_revision)}};
    w->body = json{{"create_request", create}}.dump();
    watch_ = w;
    if (!config_status_) {  // never inside the call itself
      asio::post(strand_, [self = shared_from_this(), w] {
        self->guarded([&] { self->fail_watch(w, self->config_status_); });
      });
      return;
    }
    if (!config_.user.empty() && token_.empty()) {
      // The token first, through the unary queue.
      queue_.push_back({"", "", [self = shared_from_this(), w](Status s, const json&) {
                          if (self->watch_ != w) return;
                          if (!s) return self->fail_watch(w, std::move(s));
                          self->open_watch(w);
                        }});
      pump();
      return;
    }
    open_watch(w);
  }

  void cancel_watch() {
    if (watch_) {
      close_on_strand(watch_->connection);
      watch_.reset();
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    cancel_watch();
    queue_.clear();
    close_on_strand(connection_);
  }

  ClientStats stats() const {
    ClientStats s = stats_;
    if (!endpoints_.empty()) s.endpoint = endpoints_[current_].text;
    return s;
  }

  Status revoke_now(std::int64_t lease, Duration timeout);

 private:
  struct Call {
    std::string target;  // empty: only make sure there is a token
    std::string body;
    Handler handler;
    bool token_retried = false;
  };

  struct WatchState {
    std::shared_ptr<Connection> connection;
    std::string body;
    Request request;
    // The parser keeps a reference to it: declared before the parser.
    std::function<std::size_t(std::uint64_t, beast::string_view, boost::system::error_code&)>
        on_chunk;
    std::optional<http::response_parser<http::string_body>> parser;
    std::string pending;  // bytes of a line not yet complete
    std::function<void(const std::vector<WatchEvent>&, std::int64_t)> on_events;
    std::function<void(Status, std::int64_t)> on_end;
    bool ended = false;
  };

  // Closes `c` on the strand: a connection's completions run there without
  // the guard's lock, and close() may come from another thread (a node's
  // stop()). With nothing pending any more, no callback follows anyway.
  void close_on_strand(const std::shared_ptr<Connection>& c) {
    if (!c) return;
    asio::dispatch(strand_, [c] { c->close(); });
  }

  // Runs `f` under the guard's lock when the node and the client are still there.
  template <class F>
  void guarded(F&& f) {
    std::lock_guard lock(guard_->mutex);
    if (!guard_->live || closed_) return;
    f();
  }

  const Endpoint& endpoint() const { return endpoints_[current_]; }

  // Later requests go to the next endpoint (connection() then replaces
  // the connection; one in flight finishes first).
  void next_endpoint() {
    current_ = (current_ + 1) % endpoints_.size();
    stats_.endpoint = endpoint().text;
  }

  std::shared_ptr<Connection> connection() {
    if (connection_ && connection_->endpoint().text != endpoint().text) {
      connection_->close();
      connection_.reset();
    }
    if (!connection_) {
      connection_ = std::make_shared<Connection>(asio::any_io_executor(strand_), endpoint(),
                                                 tls_ ? &*tls_ : nullptr);
    }
    return connection_;
  }

  void pump() {
    if (busy_ || queue_.empty() || closed_) return;
    busy_ = true;
    if (!config_status_) {  // fails every call, never inside the call itself
      asio::post(strand_, [self = shared_from_this()] {
        self->guarded([&] { self->finish_call(self->config_status_, json()); });
      });
      return;
    }
    if (!config_.user.empty() && token_.empty()) {
      authenticate();
      return;
    }
    Call& call = queue_.front();
    if (call.target.empty()) {
      finish_call(Status::ok(), json());
      return;
    }
    send(call.target, call.body, [self = shared_from_this()](Status s, Response& response) {
      self->guarded([&] { self->on_answer(std::move(s), response); });
    });
  }

  void send(const std::string& target, const std::string& body,
            std::function<void(Status, Response&)> done) {
    ++stats_.requests;
    auto exchange = std::make_shared<Exchange>();
    exchange->connection = connection();
    exchange->request = make_request(endpoint(), target, body, token_);
    exchange->done = std::move(done);
    exchange->start(config_.request_timeout);
  }

  // The HTTP answer's Status and JSON.
  std::pair<Status, json> interpret(Status s, const Response& response) {
    if (!s) return {std::move(s), json()};
    const std::string prefix = "etcd " + endpoint().text + ": ";
    if (response.result() != http::status::ok) {
      return {Status::network(prefix + "HTTP " + std::to_string(response.result_int()) + ": " +
                              error_text(response.body())),
              json()};
    }
    const std::string& body = response.body();
    // A streamed answer (keepalive) is one {"result": ...} per line: the first.
    const std::size_t nl = body.find('\n');
    json j = json::parse(nl == std::string::npos ? body : body.substr(0, nl), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return {Status::network(prefix + "an answer that is not JSON: " + body.substr(0, 100)),
              json()};
    }
    if (j.contains("error")) {
      return {Status::network(prefix + error_text(body)), json()};
    }
    if (j.contains("result")) j = j["result"];
    return {Status::ok(), std::move(j)};
  }

  void on_answer(Status transport, Response& response) {
    busy_ = false;
    const bool http_error = transport && response.result() != http::status::ok;
    auto [s, j] = interpret(std::move(transport), response);
    if (!s) {
      Call& call = queue_.front();
      if (!config_.user.empty() && !call.token_retried && auth_token_rejected(s.message())) {
        call.token_retried = true;
        token_.clear();
        pump();
        return;
      }
      // The endpoint failed (not etcd refusing the request): the next one
      // serves the following requests.
      if (!http_error || response.result_int() >= 500) next_endpoint();
    }
    finish_call(std::move(s), j);
  }

  void finish_call(Status s, const json& j) {
    busy_ = false;
    Call call = std::move(queue_.front());
    queue_.pop_front();
    if (!s) ++stats_.request_errors;
    call.handler(std::move(s), j);  // may call again, or close()
    pump();
  }

  void authenticate() {
    const std::string body = json{{"name", config_.user}, {"password", config_.password}}.dump();
    token_.clear();
    send("/v3/auth/authenticate", body, [self = shared_from_this()](Status s, Response& response) {
      self->guarded([&] { self->on_token(std::move(s), response); });
    });
  }

  void on_token(Status s, Response& response) {
    busy_ = false;
    if (s && response.result() != http::status::ok) {
      // etcd refused (a wrong password, auth not enabled...): the call it
      // was for fails with the reason; the endpoint is fine.
      const bool server_error = response.result_int() >= 500;
      Status refused = Status::network(
          "etcd " + endpoint().text + ": authentication as '" + config_.user + "' failed: HTTP " +
          std::to_string(response.result_int()) + ": " + error_text(response.body()));
      if (server_error) next_endpoint();
      finish_call(std::move(refused), json());
      return;
    }
    auto [status, j] = interpret(std::move(s), response);
    if (status && j.contains("token") && j["token"].is_string()) {
      token_ = j["token"].get<std::string>();
      pump();
      return;
    }
    if (status) {
      status = Status::network("etcd " + endpoint().text + ": authentication as '" + config_.user +
                               "' answered no token");
    }
    next_endpoint();
    finish_call(std::move(status), json());
  }

  // ---- The watch ----

  void fail_watch(const std::shared_ptr<WatchState>& w, Status s, std::int64_t compact = 0) {
    if (w->ended || watch_ != w) return;
    w->ended = true;
    if (w->connection) w->connection->close();
    watch_.reset();
    auto on_end = std::move(w->on_end);
    on_end(std::move(s), compact);
  }

  void open_watch(const std::shared_ptr<WatchState>& w) {
    ++stats_.requests;
    w->connection = std::make_shared<Connection>(asio::any_io_executor(strand_), endpoint(),
                                                 tls_ ? &*tls_ : nullptr);
    w->request = make_request(endpoint(), "/v3/watch", w->body, token_);
    w->parser.emplace();
    w->parser->body_limit(boost::none);
    // The raw pointer: the parser is the watch's own (no cycle).
    w->on_chunk = [raw = w.get()](std::uint64_t, beast::string_view body,
                                  boost::system::error_code&) -> std::size_t {
      raw->pending.append(body.data(), body.size());
      return body.size();
    };
    w->parser->on_chunk_body(w->on_chunk);
    w->connection->arm(Clock::now() + config_.request_timeout, config_.request_timeout);
    auto self = shared_from_this();
    w->connection->connect([self, w](Status s) {
      self->guarded([&] {
        if (self->watch_ != w) return;
        if (!s) return self->watch_failed(w, std::move(s));
        w->connection->write(w->request, [self, w](Status s2) {
          self->guarded([&] {
            if (self->watch_ != w) return;
            if (!s2) return self->watch_failed(w, std::move(s2));
            w->connection->read_header(*w->parser, [self, w](Status s3) {
              self->guarded([&] { self->on_watch_header(w, std::move(s3)); });
            });
          });
        });
      });
    });
  }

  // etcd said the token is no good: the next watch fetches a new one first.
  void forget_rejected_token(const std::string& message) {
    if (!config_.user.empty() && auth_token_rejected(message)) token_.clear();
  }

  void watch_failed(const std::shared_ptr<WatchState>& w, Status s) {
    ++stats_.request_errors;
    // The unary requests move on too (if they still use that endpoint).
    if (w->connection && w->connection->endpoint().text == endpoint().text) next_endpoint();
    fail_watch(w, std::move(s));
  }

  void on_watch_header(const std::shared_ptr<WatchState>& w, Status s) {
    if (watch_ != w) return;
    if (!s) return watch_failed(w, std::move(s));
    w->connection->disarm();  // the stream is long-lived
    const auto& head = w->parser->get();
    if (head.result() != http::status::ok) {
      // The error's body is short: read it (bounded again) for the message.
      w->connection->arm(Clock::now() + config_.request_timeout, config_.request_timeout);
      read_watch_error(w);
      return;
    }
    read_watch(w);
  }

  void read_watch_error(const std::shared_ptr<WatchState>& w) {
    auto self = shared_from_this();
    w->connection->read_some(*w->parser, [self, w](Status s) {
      self->guarded([&] {
        if (self->watch_ != w) return;
        if (s && !w->parser->is_done()) return self->read_watch_error(w);
        const std::string body = w->pending + w->parser->get().body();
        const unsigned code = w->parser->get().result_int();
        const std::string message = error_text(body);
        Status failed = Status::network("etcd " + w->connection->endpoint().text +
                                        ": watch: HTTP " + std::to_string(code) + ": " + message);
        if (code >= 500) return self->watch_failed(w, std::move(failed));
        // etcd refused the watch; the endpoint is fine.
        ++self->stats_.request_errors;
        self->forget_rejected_token(message);
        self->fail_watch(w, std::move(failed));
      });
    });
  }

  void read_watch(const std::shared_ptr<WatchState>& w) {
    auto self = shared_from_this();
    w->connection->read_some(*w->parser, [self, w](Status s) {
      self->guarded([&] {
        if (self->watch_ != w) return;
        if (!self->deliver_lines(w)) return;  // ended, or the callback moved on
        if (!s) return self->watch_failed(w, std::move(s));
        if (w->parser->is_done()) {
          return self->watch_failed(w, Status::network("etcd " + w->connection->endpoint().text +
                                                       ": the watch stream ended"));
        }
        self->read_watch(w);
      });
    });
  }

  // Passes on every complete line; false when the watch is over (or no
  // longer the current one).
  bool deliver_lines(const std::shared_ptr<WatchState>& w) {
    for (;;) {
      if (watch_ != w || closed_ || !guard_->live) return false;
      const std::size_t nl = w->pending.find('\n');
      if (nl == std::string::npos) return true;
      const std::string line = w->pending.substr(0, nl);
      w->pending.erase(0, nl + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      const std::string where = "etcd " + w->connection->endpoint().text + ": watch: ";
      const json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        fail_watch(w,
                   Status::network(where + "a message that is not JSON: " + line.substr(0, 100)));
        return false;
      }
      if (j.contains("error")) {
        forget_rejected_token(error_text(line));
        fail_watch(w, Status::network(where + error_text(line)));
        return false;
      }
      const json& result = j.contains("result") ? j["result"] : j;
      try {
        const std::int64_t revision = get_int(result.value("header", json::object()), "revision");
        if (result.value("canceled", false)) {
          const std::int64_t compact = get_int(result, "compact_revision");
          const std::string reason = result.value("cancel_reason", std::string());
          forget_rejected_token(reason);
          if (compact > 0) {
            fail_watch(w,
                       Status::network(where + "revision compacted (the oldest kept is " +
                                       std::to_string(compact) + ")"),
                       compact);
          } else {
            fail_watch(w, Status::network(where + "cancelled by etcd" +
                                          (reason.empty() ? "" : ": " + reason)));
          }
          return false;
        }
        if (!result.contains("events")) continue;  // created, progress
        std::vector<WatchEvent> events;
        for (const json& e : result["events"]) {
          WatchEvent event;
          event.deleted = e.value("type", std::string("PUT")) == "DELETE";
          event.kv = to_kv(e.value("kv", json::object()));
          events.push_back(std::move(event));
        }
        if (events.empty()) continue;
        w->on_events(events, revision);  // may cancel, close, or watch anew
      } catch (const std::exception& ex) {
        fail_watch(w, Status::network(where + "a malformed message: " + ex.what()));
        return false;
      }
    }
  }

  Strand strand_;
  std::shared_ptr<NodeGuard> guard_;
  ClientConfig config_;
  std::vector<Endpoint> endpoints_;
  Status config_status_;
  std::optional<ssl::context> tls_;
  std::size_t current_ = 0;
  std::shared_ptr<Connection> connection_;
  std::deque<Call> queue_;
  bool busy_ = false;
  bool closed_ = false;
  std::string token_;
  std::shared_ptr<WatchState> watch_;
  ClientStats stats_;
};

// ---- revoke_now ---------------------------------------------------------------

Status Client::Impl::revoke_now(std::int64_t lease, Duration timeout) {
  if (!config_status_) return config_status_;
  const auto deadline = Clock::now() + timeout;
  Status last = Status::network("etcd: no endpoint answered");
  const std::string revoke_body = json{{"ID", std::to_string(lease)}}.dump();
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    const Endpoint& e = endpoints_[(current_ + i) % endpoints_.size()];
    const Duration left = deadline - Clock::now();
    if (left <= Duration::zero()) break;
    asio::io_context io;
    auto connection = std::make_shared<Connection>(io.get_executor(), e, tls_ ? &*tls_ : nullptr);
    Status result =
        Status::network("etcd " + e.text + ": timed out after " + format_duration(timeout));
    std::string token;
    std::function<void()> do_revoke;
    auto exchange = [&](const std::string& target, const std::string& body,
                        std::function<void(Status, const json&)> then) {
      auto x = std::make_shared<Exchange>();
      x->connection = connection;
      x->request = make_request(e, target, body, token);
      x->done = [&, then = std::move(then)](Status s, Response& response) {
        if (!s) return then(std::move(s), json());
        const std::string prefix = "etcd " + e.text + ": ";
        if (response.result() != http::status::ok) {
          return then(Status::network(prefix + "HTTP " + std::to_string(response.result_int()) +
                                      ": " + error_text(response.body())),
                      json());
        }
        const json j = json::parse(response.body(), nullptr, false);
        if (!j.is_object())
          return then(Status::network(prefix + "an answer that is not JSON"), json());
        then(Status::ok(), j);
      };
      x->start(deadline - Clock::now());
    };
    do_revoke = [&] {
      exchange("/v3/lease/revoke", revoke_body,
               [&](Status s, const json&) { result = std::move(s); });
    };
    if (!config_.user.empty()) {
      exchange("/v3/auth/authenticate",
               json{{"name", config_.user}, {"password", config_.password}}.dump(),
               [&](Status s, const json& j) {
                 if (!s) {
                   result = std::move(s);
                   return;
                 }
                 token = j.value("token", std::string());
                 do_revoke();
               });
    } else {
      do_revoke();
    }
    io.run();
    if (result) return result;
    // etcd no longer knowing the lease is what we wanted.
    if (result.message().find("requested lease not found") != std::string::npos) {
      return Status::ok();
    }
    last = result;
  }
  return last;
}

// ---- Client -------------------------------------------------------------------

Client::Client(Strand strand, std::shared_ptr<NodeGuard> guard, ClientConfig config)
    : impl_(std::make_shared<Impl>(std::move(strand), std::move(guard), std::move(config))) {}

Client::~Client() {
  close();
}

void Client::grant(int ttl, std::function<void(Status, std::int64_t, int)> done) {
  impl_->call("/v3/lease/grant", json{{"TTL", std::to_string(ttl)}}.dump(),
              [done = std::move(done)](Status s, const json& j) {
                if (!s) return done(std::move(s), 0, 0);
                if (j.contains("error") || !j.contains("ID")) {
                  return done(Status::network("etcd: lease grant failed: " + j.dump()), 0, 0);
                }
                std::int64_t id = 0;
                std::int64_t granted = 0;
                try {
                  id = get_int(j, "ID");
                  granted = get_int(j, "TTL");
                } catch (const std::exception& e) {
                  return done(Status::network(std::string("etcd: lease grant: ") + e.what()), 0, 0);
                }
                done(Status::ok(), id, static_cast<int>(granted));
              });
}

void Client::keep_alive(std::int64_t lease, std::function<void(Status, int)> done) {
  impl_->call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump(),
              [done = std::move(done)](Status s, const json& j) {
                if (!s) return done(std::move(s), 0);
                std::int64_t ttl = 0;
                try {
                  ttl = get_int(j, "TTL");
                } catch (const std::exception& e) {
                  return done(Status::network(std::string("etcd: lease keep-alive: ") + e.what()),
                              0);
                }
                done(Status::ok(), static_cast<int>(std::max<std::int64_t>(ttl, 0)));
              });
}

void Client::revoke(std::int64_t lease, std::function<void(Status)> done) {
  impl_->call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}}.dump(),
              [done = std::move(done)](Status s, const json&) { done(std::move(s)); });
}

void Client::create(
    const std::string& key, const std::string& value, std::int64_t lease,
    std::function<void(Status, std::int64_t create_revision, std::int64_t revision)> done) {
  const std::string k = base64(key);
  json put = {{"key", k}, {"value", base64(value)}};
  if (lease != 0) put["lease"] = std::to_string(lease);
  const json txn = {
      {"compare",
       json::array(
           {{{"key", k}, {"result", "EQUAL"}, {"target", "CREATE"}, {"create_revision", "0"}}})},
      {"success", json::array({{{"request_put", put}}})},
      {"failure", json::array({{{"request_range", {{"key", k}}}}})}};
  impl_->call("/v3/kv/txn", txn.dump(), [done = std::move(done)](Status s, const json& j) {
    if (!s) return done(std::move(s), 0, 0);
    try {
      const std::int64_t revision = get_int(j.value("header", json::object()), "revision");
      if (j.value("succeeded", false)) return done(Status::ok(), revision, revision);
      const json& responses = j.at("responses");
      const json& kvs = responses.at(0).at("response_range").at("kvs");
      return done(Status::ok(), get_int(kvs.at(0), "create_revision"), revision);
    } catch (const std::exception& e) {
      return done(Status::network(std::string("etcd: create: an unexpected answer: ") + e.what()),
                  0, 0);
    }
  });
}

void Client::range(const std::string& prefix, std::int64_t limit,
                   std::function<void(Status, std::vector<KeyValue>, std::int64_t)> done) {
  json request = {{"key", base64(prefix)},
                  {"range_end", base64(prefix_end(prefix))},
                  {"sort_order", "ASCEND"},
                  {"sort_target", "CREATE"}};
  if (limit > 0) request["limit"] = std::to_string(limit);
  impl_->call("/v3/kv/range", request.dump(), [done = std::move(done)](Status s, const json& j) {
    if (!s) return done(std::move(s), {}, 0);
    std::vector<KeyValue> kvs;
    std::int64_t revision = 0;
    try {
      revision = get_int(j.value("header", json::object()), "revision");
      if (j.contains("kvs")) {
        for (const json& kv : j["kvs"]) kvs.push_back(to_kv(kv));
      }
    } catch (const std::exception& e) {
      return done(Status::network(std::string("etcd: range: an unexpected answer: ") + e.what()),
                  {}, 0);
    }
    done(Status::ok(), std::move(kvs), revision);
  });
}

void Client::erase(const std::string& key, std::function<void(Status)> done) {
  impl_->call("/v3/kv/deleterange", json{{"key", base64(key)}}.dump(),
              [done = std::move(done)](Status s, const json&) { done(std::move(s)); });
}

void Client::watch(
    const std::string& prefix, std::int64_t start_revision,
    std::function<void(const std::vector<WatchEvent>&, std::int64_t revision)> on_events,
    std::function<void(Status, std::int64_t compact_revision)> on_end) {
  impl_->watch(prefix, start_revision, std::move(on_events), std::move(on_end));
}

void Client::cancel_watch() {
  impl_->cancel_watch();
}

Status Client::revoke_now(std::int64_t lease, Duration timeout) {
  return impl_->revoke_now(lease, timeout);
}

void Client::close() {
  impl_->close();
}

ClientStats Client::stats() const {
  return impl_->stats();
}

}  // namespace lanlord::transport::etcd
