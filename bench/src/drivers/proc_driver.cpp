#include "drivers/proc_driver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lanlord/app/json_reader.hpp"
#include "lanlord/duration.hpp"

namespace lanlord::bench {

namespace {

constexpr const char* kChannel = "bench";
constexpr std::size_t kMaxNodes = 10000;

double ticks_to_seconds(unsigned long long ticks) {
  static const long hz = sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks) / static_cast<double>(hz > 0 ? hz : 100);
}

// utime + stime of a live process, from /proc/<pid>/stat.
std::optional<double> proc_cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  // After ")": state is field 3; utime and stime are fields 14 and 15.
  for (int k = 3; k < 14 && rest >> field; ++k) {
  }
  unsigned long long utime = 0, stime = 0;
  if (!(rest >> utime >> stime)) return std::nullopt;
  return ticks_to_seconds(utime + stime);
}

// VmHWM (peak resident set) of a live process, MiB.
std::optional<double> proc_peak_mb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return std::nullopt;
}

}  // namespace

struct ProcDriver::Child {
  int side = 0;
  pid_t pid = -1;                // -1: not running
  std::uint64_t generation = 0;  // lines of an earlier life are ignored
  double cpu_done = 0;           // CPU of earlier, reaped lives
  double peak_mb = 0;
  std::string last_text;  // the last line that was not a JSON event
};

// A child's stdout as the reader sees it.
struct ProcDriver::Pipe {
  int fd = -1;
  std::size_t index = 0;
  std::uint64_t generation = 0;
  std::string buffer;
};

ProcDriver::ProcDriver(UdpParams params)
    : params_(std::move(params)), net_(pick_network(params_.seed)) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
  }
}

ProcDriver::~ProcDriver() {
  for (std::size_t i = 0; i < children_.size(); ++i) stop_child(i, false);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_reader();
  if (reader_.joinable()) reader_.join();
  if (io_) {
    io_->stop();
    if (io_thread_.joinable()) io_thread_.join();
  }
  bridge_.reset();
  for (int fd : wake_) {
    if (fd >= 0) close(fd);
  }
}

std::vector<std::string> ProcDriver::command(std::size_t i, int side) const {
  const GroupAddress& g = net_.side[side == 0 ? 0 : 1];
  std::vector<std::string> argv = {
      params_.lanlord_path,   "join",        "--json", "--id",    node_id(i), "--cluster",
      net_.cluster,           "--channel",   kChannel, "--group", g.group,    "--port",
      std::to_string(g.port), "--interface", "lo",     "--ttl",   "1",        "--profile",
      params_.profile_name};
  // Every override, spelt as the CLI reads it.
  for (const TimingKnob& k : timing_knobs()) {
    if (const std::optional<Duration>& d = params_.timings.*k.override) {
      argv.push_back("--" + std::string(k.flag));
      argv.push_back(format_duration(*d));
    }
  }
  return argv;
}

bool ProcDriver::spawn(std::size_t i) {
  int side = 0;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    side = children_[i]->side;
    generation = ++children_[i]->generation;
  }
  const std::vector<std::string> args = command(i, side);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    std::lock_guard lock(mu_);
    error_ = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  tracker_.set_live(i, true);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
    if (getppid() != parent) _exit(127);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    const char msg[] = "lanlord-bench: cannot exec the lanlord CLI\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  close(out[1]);
  if (pid < 0) {
    close(out[0]);
    tracker_.set_live(i, false);
    std::lock_guard lock(mu_);
    error_ = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  {
    std::lock_guard lock(mu_);
    children_[i]->pid = pid;
    incoming_.push_back(IncomingPipe{out[0], i, generation});
  }
  wake_reader();
  return true;
}

void ProcDriver::wake_reader() {
  const char c = 1;
  (void)!write(wake_[1], &c, 1);
}

std::size_t ProcDriver::add_node(int side) {
  if (params_.lanlord_path.empty() || access(params_.lanlord_path.c_str(), X_OK) != 0) {
    std::lock_guard lock(mu_);
    error_ = "the lanlord CLI '" + params_.lanlord_path + "' is not an executable (--lanlord)";
    return kNoNode;
  }
  if (side != 0 && !bridge_) {
    io_ = std::make_unique<boost::asio::io_context>();
    bridge_ = std::make_unique<UdpBridge>(*io_, net_.side[0], net_.side[1]);
    if (Status s = bridge_->start(); !s) {
      std::lock_guard lock(mu_);
      error_ = s.message();
      return kNoNode;
    }
    io_thread_ = std::thread([this] { io_->run(); });
  }
  if (!reader_.joinable()) reader_ = std::thread([this] { reader_loop(); });
  const std::size_t i = tracker_.add(side);
  {
    std::lock_guard lock(mu_);
    auto c = std::make_unique<Child>();
    c->side = side;
    children_.push_back(std::move(c));
  }
  return spawn(i) ? i : kNoNode;
}

void ProcDriver::stop_child(std::size_t i, bool graceful) {
  pid_t pid = -1;
  {
    std::lock_guard lock(mu_);
    pid = children_.at(i)->pid;
    children_[i]->pid = -1;
    ++children_[i]->generation;  // what it still prints no longer counts
  }
  tracker_.set_live(i, false);
  if (pid <= 0) return;
  kill(pid, graceful ? SIGTERM : SIGKILL);
  int status = 0;
  rusage ru{};
  if (graceful) {
    // The CLI sends its leave and exits at once; a stuck child gets killed.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (wait4(pid, &status, WNOHANG, &ru) == 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        kill(pid, SIGKILL);
        wait4(pid, &status, 0, &ru);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } else {
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
  }
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::lock_guard lock(mu_);
  children_[i]->cpu_done += cpu;
  children_[i]->peak_mb = std::max(children_[i]->peak_mb, static_cast<double>(ru.ru_maxrss) / 1024);
}

void ProcDriver::crash(std::size_t i) {
  stop_child(i, false);
}
void ProcDriver::leave(std::size_t i) {
  stop_child(i, true);
}

void ProcDriver::rejoin(std::size_t i) {
  {
    std::lock_guard lock(mu_);
    if (children_.at(i)->pid > 0) return;
  }
  spawn(i);
}

void ProcDriver::freeze(std::size_t i, Duration) {
  pid_t pid = -1;
  {
    std::lock_guard lock(mu_);
    pid = children_.at(i)->pid;
  }
  if (pid <= 0) return;
  tracker_.set_frozen(i, true);
  kill(pid, SIGSTOP);
}

Duration ProcDriver::thaw(std::size_t i) {
  pid_t pid = -1;
  {
    std::lock_guard lock(mu_);
    pid = children_.at(i)->pid;
  }
  // Watch first: a leader event that arrives right after SIGCONT counts.
  tracker_.watch(i);
  const Duration t = now();
  if (pid > 0) kill(pid, SIGCONT);
  tracker_.set_frozen(i, false);
  return t;
}

void ProcDriver::heal() {
  if (bridge_) bridge_->connect();
  tracker_.heal();
}

std::string ProcDriver::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void ProcDriver::on_line(std::size_t i, const std::string& line) {
  using app::json_field;
  nlohmann::json obj;
  const std::optional<std::string> event =
      app::parse_json_object(line, obj) ? json_field<std::string>(obj, "event") : std::nullopt;
  if (!event) {
    std::lock_guard lock(mu_);
    children_[i]->last_text = line;
    return;
  }
  if (*event == "leader") {
    if (json_field<std::string>(obj, "channel") != kChannel) return;
    const std::optional<std::string> leader = json_field<std::string>(obj, "leader");
    const std::size_t l = leader ? node_index(*leader, kMaxNodes) : kNoNode;
    // The epoch is a string of digits (a JSON number would lose digits
    // above 2^53); null without a leader, absent from older CLIs (0).
    std::uint64_t epoch = 0;
    if (const auto e = json_field<std::string>(obj, "epoch")) {
      std::from_chars(e->data(), e->data() + e->size(), epoch);
    }
    tracker_.set_leader(i, l, json_field<bool>(obj, "is_self").value_or(false), epoch);
  } else if (*event == "member_dead") {
    if (const auto member = json_field<std::string>(obj, "member")) {
      tracker_.on_dead(i, node_index(*member, kMaxNodes));
    }
  }
}

void ProcDriver::reader_loop() {
  std::vector<Pipe> pipes;
  std::vector<pollfd> fds;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      for (const IncomingPipe& p : incoming_)
        pipes.push_back(Pipe{p.fd, p.index, p.generation, {}});
      incoming_.clear();
    }
    fds.assign(1, pollfd{wake_[0], POLLIN, 0});
    for (const Pipe& p : pipes) fds.push_back(pollfd{p.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      char buf[256];
      while (read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
    for (std::size_t k = 1; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Pipe& p = pipes[k - 1];
      if (read_pipe(p)) {
        close(p.fd);
        p.fd = -1;
        on_pipe_closed(p);
      }
    }
    pipes.erase(std::remove_if(pipes.begin(), pipes.end(), [](const Pipe& p) { return p.fd < 0; }),
                pipes.end());
  }
  for (const Pipe& p : pipes) close(p.fd);
  std::lock_guard lock(mu_);
  for (const IncomingPipe& p : incoming_) close(p.fd);
  incoming_.clear();
}

bool ProcDriver::read_pipe(Pipe& p) {
  char buf[65536];
  bool eof = false;
  while (true) {
    const ssize_t n = read(p.fd, buf, sizeof buf);
    if (n > 0) {
      p.buffer.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    eof = n == 0 || (errno != EAGAIN && errno != EINTR);
    break;
  }
  // Every complete line, stamped now by the tracker as it is applied.
  std::size_t start = 0, nl = 0;
  while ((nl = p.buffer.find('\n', start)) != std::string::npos) {
    const std::string line = p.buffer.substr(start, nl - start);
    start = nl + 1;
    bool current = false;
    {
      std::lock_guard lock(mu_);
      current = children_[p.index]->generation == p.generation;
    }
    if (current) on_line(p.index, line);
  }
  p.buffer.erase(0, start);
  return eof;
}

void ProcDriver::on_pipe_closed(const Pipe& p) {
  std::lock_guard lock(mu_);
  Child& c = *children_[p.index];
  if (c.generation == p.generation && c.pid > 0) {
    // It died on its own: the start failed, or it crashed.
    error_ = "node " + node_id(p.index) +
             " exited: " + (c.last_text.empty() ? std::string("(no output)") : c.last_text);
  }
}

Usage ProcDriver::usage() {
  Usage u;
  u.traffic_known = false;
  u.bytes_out_known = false;
  double cpu = 0, peak = 0;
  std::vector<pid_t> running;
  {
    std::lock_guard lock(mu_);
    for (const auto& c : children_) {
      cpu += c->cpu_done;
      peak = std::max(peak, c->peak_mb);
      if (c->pid > 0) running.push_back(c->pid);
    }
  }
  for (pid_t pid : running) {
    cpu += proc_cpu_seconds(pid).value_or(0);
    peak = std::max(peak, proc_peak_mb(pid).value_or(0));
  }
  u.cpu_seconds = cpu;
  u.peak_rss_mb = peak;
  tracker_.fill(u);
  return u;
}

}  // namespace lanlord::bench
