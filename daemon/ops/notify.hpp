#pragma once
// The service manager's notification protocol (sd_notify(3)) without libsystemd: one datagram per
// message to the AF_UNIX socket named by $NOTIFY_SOCKET. The protocol is declared stable by systemd,
// so a few lines here save a dependency. Without $NOTIFY_SOCKET every call does nothing, which is
// what a daemon started by hand, by a test or in a container needs.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dvsync::ops {

// Whether and how often to send WATCHDOG=1, from the raw values of $WATCHDOG_USEC and
// $WATCHDOG_PID (nullopt when a variable is unset) and our own pid. Half of WATCHDOG_USEC, as
// sd_watchdog_enabled(3) recommends; nothing when the timeout is unset, not a positive integer, or
// meant for another process (WATCHDOG_PID set to a pid that is not ours, or unparsable).
std::optional<std::chrono::microseconds> watchdog_interval(std::optional<std::string_view> watchdog_usec,
                                                           std::optional<std::string_view> watchdog_pid,
                                                           long self_pid);

class notifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. A NOTIFY_SOCKET that is neither an absolute
  // path nor an abstract name ("@name") is logged and leaves the notifier disabled.
  static notifier from_environment();

  // A disabled notifier: every call is a no-op.
  notifier() = default;
  // socket_address: "/path" or "@abstract"; an unusable address leaves the notifier disabled.
  explicit notifier(std::string_view socket_address,
                    std::optional<std::chrono::microseconds> watchdog_interval = std::nullopt);

  bool enabled() const { return !address_.empty(); }

  // Startup is complete: config and database validated, lock taken.
  void ready();
  // One line of free text for `systemctl status`; CR and LF become spaces so the text can never
  // add an assignment of its own (a stray "READY=1" line).
  void status(std::string_view line);
  // Keep-alive; call from the loop's progress, never from a free-running timer.
  void watchdog();
  void stopping();

  // The keep-alive period, when the service manager watches us.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_interval_; }

 private:
  void send(std::string_view message) const;

  // Ready for sockaddr_un: an abstract name already starts with NUL. Empty when disabled.
  std::string address_;
  std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace dvsync::ops
