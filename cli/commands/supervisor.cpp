#include "commands/supervisor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace lanlord::cli {

namespace {

using SteadyClock = std::chrono::steady_clock;

// The signal the kernel sends the supervisor when lanlord dies
// (PR_SET_PDEATHSIG): a second line behind the socket's EOF. Not SIGKILL,
// which would kill the supervisor before it cleans up.
constexpr int kParentDeathSignal = SIGUSR2;

// How often a stopping supervisor looks whether the command's group is empty
// (group members that are not its children do not send it SIGCHLD).
constexpr int kGroupPollMs = 20;

// One process as /proc tells it.
struct ProcessEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  char state = '?';
  bool zombie() const { return state == 'Z' || state == 'X'; }
};

// Every process whose /proc/PID/stat can be read. Processes come and go
// while it reads: one that vanished is simply not listed.
std::vector<ProcessEntry> list_processes() {
  std::vector<ProcessEntry> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* e = ::readdir(dir)) {
    pid_t pid = 0;
    const std::string_view name(e->d_name);
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size()) continue;
    std::ifstream f("/proc/" + std::string(name) + "/stat");
    std::string stat;
    if (!std::getline(f, stat)) continue;
    // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses,
    // so parse from the last ')'.
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    ProcessEntry p;
    p.pid = pid;
    if (!(rest >> p.state >> p.ppid >> p.pgrp)) continue;
    out.push_back(p);
  }
  ::closedir(dir);
  return out;
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // lanlord is gone: nobody to tell
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

class Supervisor {
 public:
  Supervisor(int control, std::chrono::milliseconds kill_timeout)
      : control_(control), kill_timeout_(kill_timeout) {}

  // Returns the process's exit code.
  int run(const std::vector<std::string>& command);

 private:
  bool setup();
  bool start(const std::vector<std::string>& command);
  // Handles what the socket says; false once lanlord is gone.
  bool read_control();
  // Handles pending signals; false once lanlord is gone.
  bool read_signals();
  void begin_stop();
  // Notes whether the command has exited, without reaping it: while its
  // zombie is unreaped, its pid (the group's id) cannot be reused, so
  // kill(-pgid) never reaches a stranger.
  void check_command();
  // Reaps every zombie child except the command.
  void reap_others(const std::vector<ProcessEntry>& processes);
  bool group_alive(const std::vector<ProcessEntry>& processes) const;
  // SIGKILL to the group and to every descendant, until none is left.
  void kill_everything();
  // Reaps the command, tells lanlord how it ended.
  int finish();

  const int control_;
  const std::chrono::milliseconds kill_timeout_;
  int signals_ = -1;
  pid_t child_ = -1;
  bool exited_ = false;
  bool stopping_ = false;
  SteadyClock::time_point deadline_{};
};

bool Supervisor::setup() {
  // The command must never inherit the socket.
  ::fcntl(control_, F_SETFD, FD_CLOEXEC);
  ::fcntl(control_, F_SETFL, ::fcntl(control_, F_GETFL) | O_NONBLOCK);
  // A terminal's Ctrl-C and hang-up reach lanlord, which decides; a write
  // to a closed socket must not kill the supervisor.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  ::sigemptyset(&mask);
  ::sigaddset(&mask, SIGCHLD);
  ::sigaddset(&mask, SIGTERM);
  ::sigaddset(&mask, kParentDeathSignal);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  signals_ = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals_ < 0) {
    std::fprintf(stderr, "lanlord: supervisor: signalfd: %s\n", std::strerror(errno));
    return false;
  }
  // Orphans of the command (double forks, setsid) become this process's
  // children instead of init's, so it can find and kill them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::fprintf(stderr, "lanlord: supervisor: PR_SET_CHILD_SUBREAPER: %s\n", std::strerror(errno));
    return false;
  }
  // Second line behind EOF. lanlord forks from its only thread, so the
  // signal follows the process, not a thread that could end before it.
  ::prctl(PR_SET_PDEATHSIG, kParentDeathSignal);
  return true;
}

bool Supervisor::start(const std::vector<std::string>& command) {
  std::vector<std::string> storage = command;
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) return false;
  sigset_t empty;
  ::sigemptyset(&empty);
  child_ = ::fork();
  if (child_ < 0) {
    std::fprintf(stderr, "lanlord: supervisor: fork: %s\n", std::strerror(errno));
    return false;
  }
  if (child_ == 0) {
    // Only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, 0);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    ::execvp(argv[0], argv.data());
    const int error = errno;
    (void)!::write(error_pipe[1], &error, sizeof error);
    ::_exit(127);
  }
  // Both sides set the group, so it exists before either goes on.
  ::setpgid(child_, child_);
  ::close(error_pipe[1]);
  int error = 0;
  ssize_t n = 0;
  do {
    n = ::read(error_pipe[0], &error, sizeof error);
  } while (n < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (n == sizeof error) {
    std::fprintf(stderr, "lanlord: cannot run '%s': %s\n", command.front().c_str(),
                 std::strerror(error));
  }
  write_all(control_, "started " + std::to_string(child_) + "\n");
  return true;
}

bool Supervisor::read_control() {
  char buffer[64];
  for (;;) {
    const ssize_t n = ::read(control_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;  // EOF or an error: lanlord is gone
    for (ssize_t i = 0; i < n; ++i) {
      if (buffer[i] == kStopCommand) begin_stop();
      if (buffer[i] == kKillCommand) {
        kill_everything();
        stopping_ = true;
        exited_ = true;
      }
    }
  }
}

bool Supervisor::read_signals() {
  signalfd_siginfo info;
  while (::read(signals_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (static_cast<int>(info.ssi_signo) == kParentDeathSignal) return false;
    if (info.ssi_signo == SIGTERM) begin_stop();
  }
  return true;
}

void Supervisor::begin_stop() {
  if (stopping_) return;
  stopping_ = true;
  deadline_ = SteadyClock::now() + kill_timeout_;
  ::kill(-child_, SIGTERM);
}

void Supervisor::check_command() {
  if (exited_) return;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  if (::waitid(P_PID, static_cast<id_t>(child_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == child_) {
    exited_ = true;
  }
}

void Supervisor::reap_others(const std::vector<ProcessEntry>& processes) {
  const pid_t self = ::getpid();
  for (const ProcessEntry& p : processes) {
    if (p.ppid == self && p.pid != child_ && p.zombie()) ::waitpid(p.pid, nullptr, WNOHANG);
  }
}

bool Supervisor::group_alive(const std::vector<ProcessEntry>& processes) const {
  for (const ProcessEntry& p : processes) {
    if (p.pgrp == child_ && !p.zombie()) return true;
  }
  return false;
}

void Supervisor::kill_everything() {
  const pid_t self = ::getpid();
  for (;;) {
    ::kill(-child_, SIGKILL);
    bool left = false;
    const std::vector<ProcessEntry> processes = list_processes();
    for (const ProcessEntry& p : processes) {
      if (p.zombie()) continue;
      if (p.ppid == self || p.pgrp == child_) {
        // A child outside the group (an orphan reparented here), or a
        // group member still dying. Its own children come here in turn
        // when it dies.
        ::kill(p.pid, SIGKILL);
        left = true;
      }
    }
    reap_others(processes);
    if (!left) return;
    ::usleep(2000);  // SIGKILL takes effect asynchronously
  }
}

int Supervisor::finish() {
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(child_, &status, 0);
  } while (r < 0 && errno == EINTR);
  reap_others(list_processes());
  if (WIFEXITED(status)) {
    write_all(control_, "exited " + std::to_string(WEXITSTATUS(status)) + "\n");
  } else if (WIFSIGNALED(status)) {
    write_all(control_, "killed " + std::to_string(WTERMSIG(status)) + "\n");
  }
  return 0;
}

int Supervisor::run(const std::vector<std::string>& command) {
  if (!setup()) return 1;
  // lanlord may have died before PR_SET_PDEATHSIG was set: then the socket
  // is at EOF already and the loop below sees it at once.
  if (!start(command)) return 1;
  for (;;) {
    check_command();
    if (exited_) {
      if (!stopping_) {
        kill_everything();  // the command exited by itself: its leftovers go
        return finish();
      }
      // A graceful stop: the rest of the group may still be finishing.
      const std::vector<ProcessEntry> processes = list_processes();
      reap_others(processes);
      if (!group_alive(processes)) {
        kill_everything();  // descendants outside the group got no SIGTERM
        return finish();
      }
    }
    if (stopping_ && SteadyClock::now() >= deadline_) {
      kill_everything();
      return finish();
    }
    int timeout = -1;
    if (stopping_) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline_ - SteadyClock::now()).count();
      timeout = static_cast<int>(std::max<long long>(0, left));
      if (exited_) timeout = std::min(timeout, kGroupPollMs);
    }
    pollfd fds[2] = {{control_, POLLIN, 0}, {signals_, POLLIN, 0}};
    const int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (fds[0].revents != 0 && !read_control()) break;
    if (fds[1].revents != 0) {
      if (!read_signals()) break;
      reap_others(list_processes());
    }
  }
  // lanlord is gone: nothing may outlive it.
  kill_everything();
  int status = 0;
  ::waitpid(child_, &status, 0);
  return 1;
}

}  // namespace

int run_supervisor(const std::vector<std::string>& args) {
  int control = -1;
  long long timeout_ms = 0;
  const auto number = [](const std::string& s, auto& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  if (args.size() < 4 || !number(args[0], control) || !number(args[1], timeout_ms) ||
      args[2] != "--" || control < 0 || ::fcntl(control, F_GETFD) < 0) {
    std::fprintf(stderr, "lanlord: %s is lanlord run's internal mode, not a command\n",
                 kSupervisorMode);
    return 2;
  }
  Supervisor supervisor(control, std::chrono::milliseconds(timeout_ms));
  return supervisor.run(std::vector<std::string>(args.begin() + 3, args.end()));
}

}  // namespace lanlord::cli
