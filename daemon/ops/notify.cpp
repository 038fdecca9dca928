#include "ops/notify.hpp"

#include "core/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace dvsync::ops {
namespace {

std::optional<std::string_view> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string_view{v};
}

template <class Int>
std::optional<Int> parse_whole(std::string_view s) {
  Int v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The sun_path bytes for an address, or empty when it cannot be one.
std::string to_socket_path(std::string_view address) {
  if (address.size() < 2) return {};
  // Abstract names have no terminating NUL, paths need room for one.
  std::size_t const room = sizeof(sockaddr_un::sun_path) - (address.front() == '/' ? 1 : 0);
  if (address.size() > room) return {};
  if (address.front() == '/') return std::string{address};
  if (address.front() == '@') {
    std::string path{address};
    path.front() = '\0';
    return path;
  }
  return {};
}

}  // namespace

std::optional<std::chrono::microseconds> watchdog_interval(std::optional<std::string_view> watchdog_usec,
                                                           std::optional<std::string_view> watchdog_pid,
                                                           long self_pid) {
  if (!watchdog_usec) return std::nullopt;
  auto const usec = parse_whole<std::uint64_t>(*watchdog_usec);
  if (!usec || *usec == 0) return std::nullopt;
  if (watchdog_pid) {
    auto const pid = parse_whole<long>(*watchdog_pid);
    if (!pid || *pid != self_pid) return std::nullopt;
  }
  // A 1 µs timeout would halve to zero, which reads as "no watchdog" to a caller's timer.
  auto const half = std::max<std::uint64_t>(*usec / 2, 1);
  return std::chrono::microseconds{static_cast<std::chrono::microseconds::rep>(half)};
}

notifier notifier::from_environment() {
  auto const socket = env("NOTIFY_SOCKET");
  if (!socket) return notifier{};
  notifier n{*socket, ops::watchdog_interval(env("WATCHDOG_USEC"), env("WATCHDOG_PID"), static_cast<long>(::getpid()))};
  if (!n.enabled()) core::log::warn("notify.socket_unusable", {{"notify_socket", *socket}});
  return n;
}

notifier::notifier(std::string_view socket_address, std::optional<std::chrono::microseconds> watchdog_interval)
    : address_(to_socket_path(socket_address)) {
  if (enabled()) watchdog_interval_ = watchdog_interval;
}

void notifier::ready() { send("READY=1"); }

void notifier::status(std::string_view line) {
  std::string message{"STATUS="};
  message.reserve(message.size() + line.size());
  for (char c : line) message.push_back(c == '\n' || c == '\r' ? ' ' : c);
  send(message);
}

void notifier::watchdog() { send("WATCHDOG=1"); }

void notifier::stopping() { send("STOPPING=1"); }

void notifier::send(std::string_view message) const {
  if (!enabled()) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  // A path is measured with its NUL; an abstract name is exactly its bytes, leading NUL included.
  auto const length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                             (address_.front() == '/' ? 1 : 0));

  int const fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    core::log::warn("notify.failed", {{"step", "socket"}, {"errno", std::strerror(errno)}});
    return;
  }
  // A fresh socket per message: no descriptor to carry across fork, moves or a restarted manager.
  auto const sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                             reinterpret_cast<sockaddr const*>(&addr), length);
  int const send_errno = errno;
  ::close(fd);
  if (sent < 0) {
    auto const first = message.substr(0, message.find('='));
    core::log::warn("notify.failed", {{"step", "send"}, {"message", first}, {"errno", std::strerror(send_errno)}});
  }
}

}  // namespace dvsync::ops
