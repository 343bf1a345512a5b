// A program that embeds lanlord as a user would, built against the unpacked
// .deb packages by package_test.sh (CMake, shared and static; pkg-config).
// It resolves a profile, then starts a Node on loopback and stops it; the
// group and port are arguments (the test picks random ones, as the socket
// tests do, so no other test's nodes hear it). Prints the endpoint; exits 0
// on success.
#include <lanlord/node.hpp>
#include <lanlord/profile.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: consumer GROUP PORT\n";
    return 2;
  }
  const lanlord::Result<lanlord::Profile> profile = lanlord::resolve_profile("fast", {});
  if (!profile) {
    std::cerr << "profile: " << profile.status().message() << "\n";
    return 1;
  }
  boost::asio::io_context io;
  lanlord::Node node(io, {.id = "consumer-1",
                          .cluster = "lanlord-package-test",
                          .channels = {"package-test"},
                          .group = argv[1],
                          .port = static_cast<std::uint16_t>(std::stoi(argv[2])),
                          .interface_name = "lo",
                          .profile = profile->name});
  if (const lanlord::Status s = node.start(); !s) {
    std::cerr << "start: " << s.message() << "\n";
    return 1;
  }
  io.run_for(std::chrono::milliseconds(50));
  std::cout << "profile " << profile->name << ", node on " << node.describe_endpoint() << "\n";
  node.stop();
  return node.running() ? 1 : 0;
}
