#include "metrics/metrics_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>
#include <set>
#include <string_view>
#include <utility>

namespace lanlord::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class MetricsConnection;

// Shared by the server and its connections, so that a connection whose
// handler runs after the server is gone finds what it needs.
struct MetricsServer::State {
  State(asio::io_context& io, std::function<std::string()> r, std::string type,
        MetricsServerLimits l)
      : strand(asio::make_strand(io)),
        acceptor(strand),
        render(std::move(r)),
        content_type(std::move(type)),
        limits(l) {}

  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  std::function<std::string()> render;
  std::string content_type;
  MetricsServerLimits limits;
  std::set<MetricsConnection*> connections;  // open ones, for stop() and the cap
  bool stopped = false;
};

// One client: read a request, answer it, and again while it keeps the
// connection alive.
class MetricsConnection : public std::enable_shared_from_this<MetricsConnection> {
 public:
  MetricsConnection(std::shared_ptr<MetricsServer::State> state, tcp::socket socket)
      : state_(std::move(state)),
        stream_(std::move(socket)),
        buffer_(state_->limits.max_request_bytes) {
    state_->connections.insert(this);
  }
  MetricsConnection(const MetricsConnection&) = delete;
  MetricsConnection& operator=(const MetricsConnection&) = delete;
  ~MetricsConnection() { state_->connections.erase(this); }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->limits.max_request_bytes));
    stream_.expires_after(state_->limits.timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) {
      close();  // timeout, too large, a body, a closed connection: nothing to answer
      return;
    }
    const http::request<http::empty_body>& request = parser_->get();
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    response_.set(http::field::server, "lanlord");
    std::string_view target(request.target().data(), request.target().size());
    target = target.substr(0, target.find('?'));
    if (request.method() != http::verb::get) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET");
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "only GET is served\n";
    } else if (target != "/metrics") {
      response_.result(http::status::not_found);
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "not found: the metrics are at /metrics\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, state_->content_type);
      response_.body() = state_->render();
    }
    response_.prepare_payload();
    stream_.expires_after(state_->limits.timeout);
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code ec2, std::size_t) { self->on_write(ec2); });
  }

  void on_write(beast::error_code ec) {
    if (ec || !response_.keep_alive() || state_->stopped) {
      close();
      return;
    }
    read();
  }

  std::shared_ptr<MetricsServer::State> state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
};

namespace {

void accept(const std::shared_ptr<MetricsServer::State>& state) {
  state->acceptor.async_accept(state->strand, [state](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || state->stopped) return;
    if (!ec) {
      if (state->connections.size() >= state->limits.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);  // over the cap: refused at once
      } else {
        std::make_shared<MetricsConnection>(state, std::move(socket))->read();
      }
    }
    accept(state);  // an accept error (e.g. out of descriptors) ends one attempt only
  });
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, std::function<std::string()> render,
                             std::string content_type, MetricsServerLimits limits)
    : state_(std::make_shared<State>(io, std::move(render), std::move(content_type), limits)) {}

MetricsServer::~MetricsServer() {
  stop();
}

Status MetricsServer::listen(const ListenAddress& where) {
  beast::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address(where.address, ec), where.port);
  const auto fail = [&where](const beast::error_code& e) {
    return Status::error("cannot listen on " + where.to_string() + ": " + e.message(),
                         StatusCode::kNetwork);
  };
  if (ec) return fail(ec);
  tcp::acceptor& a = state_->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return fail(ec);
  if (a.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail(ec);
  if (a.bind(endpoint, ec); ec) return fail(ec);
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec) return fail(ec);
  return Status::ok();
}

std::string MetricsServer::local_address() const {
  beast::error_code ec;
  const tcp::endpoint e = state_->acceptor.local_endpoint(ec);
  if (ec) return "";
  return ListenAddress{e.address().to_string(), e.port()}.to_string();
}

void MetricsServer::start() {
  accept(state_);
}

void MetricsServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  // Copied: a connection's close() does not erase it (its destructor does,
  // once its handler has run), but keep the loop independent of that.
  const std::set<MetricsConnection*> open = state_->connections;
  for (MetricsConnection* c : open) c->close();
}

}  // namespace lanlord::cli
