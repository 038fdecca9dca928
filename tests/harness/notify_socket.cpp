#include "notify_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dvsync::test {

notify_socket::notify_socket(std::string path) : path_(std::move(path)) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd_ < 0 || path_.size() >= sizeof addr.sun_path) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot make a notify socket at " + path_);
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (::bind(fd_, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) != 0) {
    std::string const why = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot bind " + path_ + ": " + why);
  }
}

notify_socket::~notify_socket() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

void notify_socket::drain(std::vector<std::string>& into) const {
  char buffer[4096];
  for (;;) {
    auto const n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0) return;
    into.emplace_back(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace dvsync::test
