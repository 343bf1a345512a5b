#include "commands/supervised_command.hpp"

#include <boost/asio/read_until.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <istream>
#include <string_view>
#include <utility>

#include "commands/supervisor.hpp"

namespace lanlord::cli {

Result<std::unique_ptr<SupervisedCommand>> SupervisedCommand::start(
    boost::asio::io_context& io, const std::vector<std::string>& command,
    const std::vector<std::string>& environment, const std::vector<int>& inherit,
    Duration kill_timeout, Callbacks callbacks) {
  int sockets[2];
  // Close-on-exec: lanlord's end must stay in lanlord alone, or the
  // supervisor would not see EOF when lanlord dies.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    return Status::error(std::string("cannot start the command: socketpair: ") +
                         std::strerror(errno));
  }
  const int mine = sockets[0];
  const int theirs = sockets[1];
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = {
      "lanlord", kSupervisorMode, std::to_string(theirs),
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(kill_timeout).count()),
      "--"};
  args.insert(args.end(), command.begin(), command.end());
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = environment;
  std::vector<char*> envp;
  for (std::string& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<int> close_in_child;
  for (const int fd : open_descriptors()) {
    if (fd != theirs && std::find(inherit.begin(), inherit.end(), fd) == inherit.end()) {
      close_in_child.push_back(fd);
    }
  }

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(mine);
    ::close(theirs);
    return Status::error(std::string("cannot start the command: fork: ") + std::strerror(error));
  }
  if (pid == 0) {
    // The supervisor's end survives exec; it marks it close-on-exec
    // again before it starts the command. /proc/self/exe: this very
    // binary, even if the file was replaced since lanlord started.
    for (const int fd : close_in_child) ::close(fd);
    ::fcntl(theirs, F_SETFD, 0);
    ::execve("/proc/self/exe", argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(theirs);
  return std::unique_ptr<SupervisedCommand>(
      new SupervisedCommand(io, mine, pid, std::move(callbacks)));
}

std::vector<int> SupervisedCommand::open_descriptors() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = ::dirfd(dir);
  while (const dirent* e = ::readdir(dir)) {
    int fd = 0;
    const std::string_view name(e->d_name);
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (ec == std::errc() && end == name.data() + name.size() && fd != own) fds.push_back(fd);
  }
  ::closedir(dir);
  return fds;
}

SupervisedCommand::SupervisedCommand(boost::asio::io_context& io, int control, pid_t supervisor,
                                     Callbacks callbacks)
    : control_(io, control),
      reap_timer_(io),
      supervisor_(supervisor),
      callbacks_(std::move(callbacks)) {
  read();
}

SupervisedCommand::~SupervisedCommand() {
  *alive_ = false;
  boost::system::error_code ignored;
  control_.close(ignored);
  if (!reaped_) ::waitpid(supervisor_, nullptr, WNOHANG);
}

void SupervisedCommand::stop() {
  send(kStopCommand);
}

void SupervisedCommand::kill() {
  send(kKillCommand);
}

void SupervisedCommand::send(char byte) {
  if (status_ || !control_.is_open()) return;
  // One byte on a stream socket whose buffer holds far more: it does not
  // block. A supervisor that is gone (EPIPE) is noticed by the reader.
  ::send(control_.native_handle(), &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void SupervisedCommand::read() {
  boost::asio::async_read_until(
      control_, input_, '\n',
      [this, alive = alive_](const boost::system::error_code& ec, std::size_t) {
        if (!*alive) return;
        if (ec) {
          ended();
          return;
        }
        std::istream in(&input_);
        std::string text;
        std::getline(in, text);
        line(text);
        read();
      });
}

void SupervisedCommand::line(const std::string& text) {
  const std::size_t space = text.find(' ');
  if (space == std::string::npos) return;
  const std::string word = text.substr(0, space);
  int value = 0;
  try {
    value = std::stoi(text.substr(space + 1));
  } catch (const std::exception&) {
    return;
  }
  if (word == "started") {
    pid_ = value;
    if (callbacks_.started) callbacks_.started(value);
  } else if (word == "exited") {
    status_ = CommandStatus{value, std::nullopt};
  } else if (word == "killed") {
    status_ = CommandStatus{std::nullopt, value};
  }
}

void SupervisedCommand::ended() {
  if (!status_) {
    // The supervisor died without reporting (someone killed it): make sure
    // the command's group goes too. Its pid is the group's id, and the
    // group cannot have been reused while a member may live.
    if (pid_) ::kill(-*pid_, SIGKILL);
    status_ = CommandStatus{};
  }
  reap();
}

// The supervisor closes the socket only by exiting, so it is a zombie
// within moments of the EOF; look again every millisecond until then.
void SupervisedCommand::reap() {
  int status = 0;
  const pid_t r = ::waitpid(supervisor_, &status, WNOHANG);
  if (r == 0) {
    reap_timer_.expires_after(std::chrono::milliseconds(1));
    reap_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (!*alive || ec) return;
      reap();
    });
    return;
  }
  reaped_ = true;
  // Last: the owner may destroy this object in the callback, so the
  // callback and the status it is given are copies that outlive it.
  const CommandStatus reported = *status_;
  const auto exited = callbacks_.exited;
  if (exited) exited(reported);
}

}  // namespace lanlord::cli
