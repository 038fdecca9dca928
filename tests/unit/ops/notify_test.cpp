#include "ops/notify.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace dvsync::ops {
namespace {

using namespace std::chrono_literals;

// The service manager's side: a bound datagram socket that collects what the notifier sends.
// A local datagram is queued before sendto() returns, so a non-blocking receive sees it at once.
class fake_manager {
 public:
  // address: "/path" or "@name", as $NOTIFY_SOCKET would carry it.
  explicit fake_manager(std::string address) : address_(std::move(address)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::strerror(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address_.data(), address_.size());
    bool const abstract = address_.front() == '@';
    if (abstract) addr.sun_path[0] = '\0';
    auto const length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() + (abstract ? 0 : 1));
    if (::bind(fd_, reinterpret_cast<sockaddr const*>(&addr), length) != 0) {
      ::close(fd_);
      throw std::runtime_error(std::strerror(errno));
    }
  }
  ~fake_manager() { ::close(fd_); }
  fake_manager(fake_manager const&) = delete;
  fake_manager& operator=(fake_manager const&) = delete;

  std::string const& address() const { return address_; }

  std::vector<std::string> received() const {
    std::vector<std::string> messages;
    char buffer[4096];
    for (;;) {
      auto const n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < 0) break;
      messages.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return messages;
  }

 private:
  std::string address_;
  int fd_ = -1;
};

std::string unique_suffix() {
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd());
}

// Sets the watchdog and socket variables for one test and restores them afterwards.
class environment : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto const* name : names_) {
      char const* v = std::getenv(name);
      saved_.emplace_back(v ? std::optional<std::string>{v} : std::nullopt);
      ::unsetenv(name);
    }
    dir_ = std::filesystem::temp_directory_path() / ("dvsync-notify-" + unique_suffix());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    for (std::size_t i = 0; i < std::size(names_); ++i) {
      if (saved_[i]) ::setenv(names_[i], saved_[i]->c_str(), 1);
      else ::unsetenv(names_[i]);
    }
    std::filesystem::remove_all(dir_);
  }

  std::string socket_path() const { return (dir_ / "notify.sock").string(); }

 private:
  static constexpr char const* names_[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
  std::vector<std::optional<std::string>> saved_;
  std::filesystem::path dir_;
};

void send_lifecycle(notifier& n) {
  n.ready();
  n.status("cycle 1 ok: 3 tables, 41 rows");
  n.watchdog();
  n.stopping();
}

std::vector<std::string> const lifecycle = {"READY=1", "STATUS=cycle 1 ok: 3 tables, 41 rows", "WATCHDOG=1",
                                            "STOPPING=1"};

TEST_F(environment, delivers_each_message_in_order_to_a_path_socket) {
  fake_manager manager{socket_path()};
  ::setenv("NOTIFY_SOCKET", manager.address().c_str(), 1);
  auto n = notifier::from_environment();
  ASSERT_TRUE(n.enabled());
  send_lifecycle(n);
  EXPECT_EQ(manager.received(), lifecycle);
}

TEST_F(environment, delivers_each_message_in_order_to_an_abstract_socket) {
  fake_manager manager{"@dvsync-notify-test-" + unique_suffix()};
  ::setenv("NOTIFY_SOCKET", manager.address().c_str(), 1);
  auto n = notifier::from_environment();
  ASSERT_TRUE(n.enabled());
  send_lifecycle(n);
  EXPECT_EQ(manager.received(), lifecycle);
}

TEST_F(environment, is_disabled_and_silent_without_notify_socket) {
  auto n = notifier::from_environment();
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.watchdog_interval());
  send_lifecycle(n);  // must neither crash nor throw
}

TEST_F(environment, refuses_a_relative_socket_path) {
  // The socket is reachable by the relative name, so only the address rule keeps it silent.
  fake_manager manager{socket_path()};
  auto const cwd = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::path{socket_path()}.parent_path());
  ::setenv("NOTIFY_SOCKET", "notify.sock", 1);
  auto n = notifier::from_environment();
  n.ready();
  std::filesystem::current_path(cwd);
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(manager.received().empty());
}

TEST_F(environment, reads_the_watchdog_meant_for_this_process) {
  fake_manager manager{socket_path()};
  ::setenv("NOTIFY_SOCKET", manager.address().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "120000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(notifier::from_environment().watchdog_interval(), std::chrono::microseconds{60s});

  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_FALSE(notifier::from_environment().watchdog_interval());
}

TEST(notifier, status_keeps_to_one_line_so_it_cannot_forge_an_assignment) {
  fake_manager manager{"@dvsync-notify-test-" + unique_suffix()};
  notifier n{manager.address()};
  n.status("table a failed\nREADY=1\r\nnext");
  EXPECT_EQ(manager.received(), std::vector<std::string>{"STATUS=table a failed READY=1  next"});
}

TEST(notifier, refuses_an_address_too_long_for_a_unix_socket) {
  EXPECT_TRUE(notifier{"/" + std::string(sizeof(sockaddr_un::sun_path) - 2, 'x')}.enabled());
  EXPECT_FALSE(notifier{"/" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'x')}.enabled());
  EXPECT_TRUE(notifier{"@" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'x')}.enabled());
  EXPECT_FALSE(notifier{"@" + std::string(sizeof(sockaddr_un::sun_path), 'x')}.enabled());
}

TEST(notifier, drops_the_watchdog_when_the_address_is_unusable) {
  EXPECT_FALSE(notifier("relative/path", std::chrono::microseconds{1s}).watchdog_interval());
  EXPECT_FALSE(notifier("@", std::chrono::microseconds{1s}).enabled());
  EXPECT_EQ(notifier("/run/x", std::chrono::microseconds{1s}).watchdog_interval(), std::chrono::microseconds{1s});
}

TEST(notifier, survives_a_manager_that_went_away) {
  std::string address = "@dvsync-notify-test-" + unique_suffix();
  notifier n{address};
  send_lifecycle(n);  // nobody is bound: each send fails, is logged, and nothing throws
  EXPECT_TRUE(n.enabled());
}

TEST(watchdog_interval, is_half_of_the_timeout) {
  EXPECT_EQ(watchdog_interval("120000000", std::nullopt, 42), std::chrono::microseconds{60s});
  EXPECT_EQ(watchdog_interval("3", std::nullopt, 42), std::chrono::microseconds{1});
}

TEST(watchdog_interval, is_honoured_only_for_our_pid) {
  EXPECT_EQ(watchdog_interval("2000000", "42", 42), std::chrono::microseconds{1s});
  EXPECT_FALSE(watchdog_interval("2000000", "43", 42));
  EXPECT_FALSE(watchdog_interval("2000000", "", 42));
  EXPECT_FALSE(watchdog_interval("2000000", "42x", 42));
}

TEST(watchdog_interval, is_absent_without_a_positive_whole_timeout) {
  EXPECT_FALSE(watchdog_interval(std::nullopt, std::nullopt, 42));
  EXPECT_FALSE(watchdog_interval(std::nullopt, "42", 42));
  EXPECT_FALSE(watchdog_interval("0", std::nullopt, 42));
  EXPECT_FALSE(watchdog_interval("", std::nullopt, 42));
  EXPECT_FALSE(watchdog_interval("-5", std::nullopt, 42));
  EXPECT_FALSE(watchdog_interval("12s", std::nullopt, 42));
  EXPECT_FALSE(watchdog_interval("99999999999999999999999", std::nullopt, 42));
}

TEST(watchdog_interval, never_rounds_down_to_zero) {
  EXPECT_EQ(watchdog_interval("1", std::nullopt, 42), std::chrono::microseconds{1});
}

}  // namespace
}  // namespace dvsync::ops
