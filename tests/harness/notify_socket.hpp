#pragma once
// The service manager's side of sd_notify(3): a bound AF_UNIX datagram socket whose path a test
// hands to the daemon as $NOTIFY_SOCKET, and the messages that arrive on it.
#include <string>
#include <vector>

namespace dvsync::test {

class notify_socket {
 public:
  explicit notify_socket(std::string path);  // throws when the socket cannot be bound
  ~notify_socket();
  notify_socket(notify_socket const&) = delete;
  notify_socket& operator=(notify_socket const&) = delete;

  std::string const& path() const { return path_; }

  // Appends whatever has arrived (datagrams wait in the socket's queue); never blocks.
  void drain(std::vector<std::string>& into) const;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace dvsync::test
