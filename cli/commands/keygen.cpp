// `lanlord keygen`: a new cluster key, on stdout or in a new file that
// only its owner may read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "commands/commands.hpp"
#include "lanlord/keyring.hpp"

namespace lanlord::cli {

namespace {

// Writes all of `text` to `fd`.
bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// `text` in a file created at `path` with mode 0600: with `replace`, by a
// temporary file renamed over it, so an existing file is never left half
// written nor keeps looser permissions; without it, O_EXCL refuses an
// existing file. The exit code; the message names the file and the reason.
int write_key_file(const std::string& path, const std::string& text, bool replace) {
  const std::string target = replace ? path + ".tmp-" + std::to_string(::getpid()) : path;
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int e = errno;
    if (e == EEXIST && !replace) {
      std::cerr << "lanlord: " << path
                << " exists; keygen does not overwrite a key (--force replaces it)"
                << " (try 'lanlord keygen --help')\n";
      return kExitUsage;
    }
    std::cerr << "lanlord: cannot create " << target << ": " << std::strerror(e) << "\n";
    return kExitFailure;
  }
  // The umask may only clear bits; make sure of 0600 all the same.
  int err = 0;
  if (::fchmod(fd, 0600) != 0 || !write_all(fd, text) || ::fsync(fd) != 0)
    err = errno ? errno : EIO;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && replace && ::rename(target.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(target.c_str());
    std::cerr << "lanlord: cannot write " << path << ": " << std::strerror(err) << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int run_keygen(const KeygenOptions& options) {
  const std::string key = Keyring::generate_key();
  const Result<Keyring> parsed = Keyring::parse(key, "the new key");
  if (!parsed) {  // a bug: generate_key() makes what parse() reads
    std::cerr << "lanlord: " << parsed.status().message() << "\n";
    return kExitFailure;
  }
  const std::string id = key_id_hex(parsed->primary().id);
  if (options.output.empty()) {
    std::cout << key << "\n" << std::flush;
    std::cerr << "key id " << id << "\n";
    return kExitOk;
  }
  if (const int code = write_key_file(options.output, key + "\n", options.force); code != kExitOk) {
    return code;
  }
  std::cerr << "key id " << id << " written to " << options.output << " (mode 0600)\n";
  return kExitOk;
}

}  // namespace lanlord::cli
