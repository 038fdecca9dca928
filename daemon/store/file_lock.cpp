#include "store/file_lock.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dvsync::store {
namespace {

// The holder writes its PID right after locking; a racing reader may still see an empty file.
std::string recorded_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "unknown";
  std::string_view text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return "unknown";
  return std::string(text);
}

}  // namespace

core::result<file_lock> file_lock::acquire(std::string const& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) return core::make_error(core::errc::io, fmt::format("cannot open lock file {}: {}", path, std::strerror(errno)));
  file_lock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return core::make_error(core::errc::locked, fmt::format("the database is in use by another dvsync (pid {}, lock file {})",
                                                              recorded_pid(fd), path));
    return core::make_error(core::errc::io, fmt::format("cannot lock {}: {}", path, std::strerror(errno)));
  }
  auto pid = fmt::format("{}\n", ::getpid());
  // The PID is only a hint for the message above: failing to record it must not stop the daemon.
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return lock;
}

file_lock::file_lock(file_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

file_lock::~file_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace dvsync::store
