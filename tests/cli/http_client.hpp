// A minimal HTTP/1.1 client for the metrics tests (Boost.Beast): one GET,
// or raw bytes and whatever comes back, each within a deadline, so a
// server that hangs fails the test instead of blocking it.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "../time_scale.hpp"

namespace lanlord::testing {

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// GET http://address:port`target` (address: an IP literal); nothing when
// it cannot connect, the answer is malformed, or `limit` passes.
inline std::optional<HttpReply> http_get(
    const std::string& address, std::uint16_t port, const std::string& target,
    std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, address);
  request.keep_alive(false);
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  bool ok = false;
  stream.expires_after(lanlord::test::scaled(limit));
  const boost::asio::ip::tcp::endpoint to(boost::asio::ip::make_address(address), port);
  stream.async_connect(to, [&](beast::error_code ec) {
    if (ec) return;
    http::async_write(stream, request, [&](beast::error_code ec2, std::size_t) {
      if (ec2) return;
      http::async_read(stream, buffer, response,
                       [&](beast::error_code ec3, std::size_t) { ok = !ec3; });
    });
  });
  io.run();  // the stream's deadline ends every operation
  if (!ok) return std::nullopt;
  return HttpReply{response.result_int(), std::string(response[http::field::content_type]),
                   response.body()};
}

// Connects, writes `bytes`, and reads until the server closes or `limit`
// (times the test factor) passes. `closed`: the server closed the connection within the limit.
struct RawReply {
  bool connected = false;
  bool closed = false;
  std::string data;
};
inline RawReply raw_exchange(std::uint16_t port, const std::string& bytes,
                             std::chrono::milliseconds limit) {
  namespace beast = boost::beast;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  RawReply out;
  std::string data(1 << 16, '\0');
  std::size_t got = 0;
  std::function<void()> read_more;
  read_more = [&] {
    stream.async_read_some(
        boost::asio::buffer(data.data() + got, data.size() - got),
        [&](beast::error_code ec, std::size_t n) {
          got += n;
          if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) {
            out.closed = true;
          } else if (!ec && got < data.size()) {
            read_more();
          }
        });
  };
  stream.expires_after(lanlord::test::scaled(limit));
  const boost::asio::ip::tcp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), port);
  stream.async_connect(to, [&](beast::error_code ec) {
    if (ec) return;
    out.connected = true;
    if (bytes.empty()) {
      read_more();
      return;
    }
    boost::asio::async_write(stream, boost::asio::buffer(bytes),
                             [&](beast::error_code ec2, std::size_t) {
                               if (ec2 == boost::asio::error::connection_reset ||
                                   ec2 == boost::asio::error::broken_pipe) {
                                 out.closed = true;
                                 return;
                               }
                               if (!ec2) read_more();
                             });
  });
  io.run();
  out.data = data.substr(0, got);
  return out;
}

}  // namespace lanlord::testing
