// A child process for the subprocess tests: fork/exec with its stdout and
// stderr on pipes, lines read with a deadline, and SIGKILL in the
// destructor so that a failing test never leaves a process behind.
// Deadlines made with after() are stretched under sanitizers by the test
// command's one factor (../time_scale.hpp).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../time_scale.hpp"

namespace lanlord::testing {

using Deadline = std::chrono::steady_clock::time_point;

// A test's deadline: `d` from now, times the factor.
inline Deadline after(std::chrono::milliseconds d) {
  return std::chrono::steady_clock::now() + lanlord::test::scaled(d);
}

class ChildProcess {
 public:
  // Starts `program` with `args` (argv[0] is `program`), in this process's
  // environment without LANLORD_KEY (so the caller's key cannot change a
  // test's outcome) plus `environment` ("NAME=value" entries).
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::vector<std::string>& environment = {}) {
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    if (::pipe2(err, O_CLOEXEC) != 0) {
      ::close(out[0]);
      ::close(out[1]);
      throw std::runtime_error("pipe2 failed");
    }
    // argv is built before fork: only async-signal-safe calls in the child.
    std::vector<std::string> storage;
    storage.push_back(program);
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).rfind("LANLORD_KEY=", 0) != 0) env_storage.emplace_back(*e);
    }
    env_storage.insert(env_storage.end(), environment.begin(), environment.end());
    std::vector<char*> envp;
    for (std::string& s : env_storage) envp.push_back(s.data());
    envp.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err[1], STDERR_FILENO);
      ::execve(program.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  ~ChildProcess() {
    if (!exit_code_ && pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
  }

  pid_t pid() const { return pid_; }

  // The next complete stdout line (without '\n'), or nothing if the
  // deadline passes or stdout closes first.
  std::optional<std::string> read_line(Deadline deadline) {
    for (;;) {
      const std::size_t nl = out_.find('\n');
      if (nl != std::string::npos) {
        std::string line = out_.substr(0, nl);
        out_.erase(0, nl + 1);
        return line;
      }
      if (out_fd_ < 0 || !pump(deadline)) return std::nullopt;
    }
  }

  // Every stdout line until one satisfies `pred`; that line, or nothing.
  template <class Pred>
  std::optional<std::string> read_until(Deadline deadline, Pred pred) {
    while (std::optional<std::string> line = read_line(deadline)) {
      seen_.push_back(*line);
      if (pred(*line)) return line;
    }
    return std::nullopt;
  }

  void signal(int sig) { ::kill(pid_, sig); }
  // Closes our end of its stdout, as a reader that went away would: its
  // next write fails with EPIPE (or kills it, if it does not ignore SIGPIPE).
  void close_stdout() {
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
  }

  // The exit code once the process exits (-signal if killed by one), or
  // nothing at the deadline. Keeps draining the pipes meanwhile so that a
  // chatty child cannot block on a full pipe.
  std::optional<int> wait(Deadline deadline) {
    while (!exit_code_) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      pump(std::min(deadline, soon(std::chrono::milliseconds(10))));
    }
    // Collect what is still in the pipes.
    while (pump(soon(std::chrono::milliseconds(200)))) {
    }
    return exit_code_;
  }

  // Everything written to stdout not yet returned by read_line, and all of stderr.
  const std::string& pending_stdout() const { return out_; }
  const std::string& stderr_text() const { return err_; }
  // The lines read_until() has gone through, for failure messages.
  const std::vector<std::string>& lines_seen() const { return seen_; }

 private:
  // Reads whatever arrives on stdout or stderr before `deadline`. False
  // when nothing more can come (deadline, or both pipes closed).
  bool pump(Deadline deadline) {
    for (;;) {
      pollfd fds[2];
      nfds_t n = 0;
      if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
      if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
      if (n == 0) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      const int r = ::poll(fds, n, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      bool got = false;
      for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
        std::string& buffer = fds[i].fd == out_fd_ ? out_ : err_;
        char chunk[4096];
        const ssize_t k = ::read(fd, chunk, sizeof chunk);
        if (k > 0) {
          buffer.append(chunk, static_cast<std::size_t>(k));
          got = true;
        } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
          ::close(fd);
          fd = -1;
          got = true;  // a state change: let the caller look again
        }
      }
      if (got) return true;
    }
  }

  // A polling slice, not a test's deadline: not stretched.
  static Deadline soon(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::vector<std::string> seen_;
  std::optional<int> exit_code_;
};

}  // namespace lanlord::testing
