// ClusterDriver over `lanlord join --json` processes, one per node: the
// program exactly as a user runs it. Each child's stdout is a pipe read by
// one thread that stamps every JSON event line as it arrives; a crash is
// SIGKILL, a graceful stop SIGTERM (the CLI then stops the node, which
// sends its leave). Children die with the benchmark (PR_SET_PDEATHSIG).
// A freeze is SIGSTOP, its thaw SIGCONT; what the thawed node claims comes
// from its own leader events and its peers' (leader and epoch, as the CLI
// prints them).
//
// Traffic is not measured here (the CLI does not print its NodeStats);
// CPU and peak memory come from the children's /proc entries and wait4().
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "drivers/tracker.hpp"
#include "drivers/udp_driver.hpp"

namespace lanlord::bench {

class ProcDriver final : public ClusterDriver {
 public:
  explicit ProcDriver(UdpParams params);
  ~ProcDriver() override;

  std::size_t add_node(int side) override;
  void crash(std::size_t i) override;
  void leave(std::size_t i) override;
  void rejoin(std::size_t i) override;
  bool yield(std::size_t) override { return false; }  // the CLI has no yield
  bool can_yield() const override { return false; }
  void heal() override;
  bool can_freeze() const override { return true; }
  void freeze(std::size_t i, Duration d) override;
  Duration thaw(std::size_t i) override;
  std::optional<Duration> wait_stepped_down(std::size_t, Duration limit) override {
    return tracker_.wait_stepped_down(limit);
  }
  std::uint64_t stale_claims(std::size_t) override { return tracker_.stale_namings(); }

  std::size_t size() const override { return tracker_.size(); }
  bool live(std::size_t i) const override { return tracker_.live(i); }
  Duration now() const override { return tracker_.now(); }
  void run_for(Duration d) override { std::this_thread::sleep_for(d); }
  std::optional<Duration> wait_agreed(Duration limit) override {
    return tracker_.wait_agreed(limit);
  }
  Transition state() override { return tracker_.state(); }
  std::vector<Transition> timeline() const override { return tracker_.timeline(); }
  Usage usage() override;
  std::string error() const override;

  // The command line for node i (for messages and tests).
  std::vector<std::string> command(std::size_t i, int side) const;

 private:
  struct Child;
  struct Pipe;

  bool spawn(std::size_t i);
  void stop_child(std::size_t i, bool graceful);
  void reader_loop();
  // Reads what `p` holds and applies its complete lines (reader thread);
  // true at its end (the child is gone) or on a read error.
  bool read_pipe(Pipe& p);
  // After `p` ended: an error, unless the child was stopped on purpose.
  void on_pipe_closed(const Pipe& p);
  void on_line(std::size_t i, const std::string& line);
  void wake_reader();

  UdpParams params_;
  UdpNetwork net_;
  AgreementTracker tracker_;
  std::unique_ptr<boost::asio::io_context> io_;  // for the bridge only
  std::unique_ptr<UdpBridge> bridge_;
  std::thread io_thread_;

  // A child's new stdout, handed from the spawning thread to the reader,
  // which owns (and closes) every pipe from then on.
  struct IncomingPipe {
    int fd;
    std::size_t index;
    std::uint64_t generation;
  };

  mutable std::mutex mu_;  // children_, incoming_, error_, stopping_
  std::vector<std::unique_ptr<Child>> children_;
  std::vector<IncomingPipe> incoming_;
  std::string error_;
  int wake_[2] = {-1, -1};  // self-pipe: wakes the reader's poll()
  bool stopping_ = false;
  std::thread reader_;
};

}  // namespace lanlord::bench
