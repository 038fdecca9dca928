#pragma once
// A server the test controls, standing in front of the emulator as the daemon's Dataverse and
// token authority. Every request is forwarded to the emulator as it came (its Host included, so
// the links the emulator writes name the proxy), unless a hostile answer is armed for it: then
// the test's raw bytes go back instead, whatever they are.
#include "test_server.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dvsync::test {

class hostile_proxy {
 public:
  using answer = std::function<testing::scripted_reply(testing::recorded_request const&)>;

  explicit hostile_proxy(std::string emulator_origin);

  std::uint16_t port() const { return server_->port(); }
  std::string origin() const;  // http://127.0.0.1:PORT

  // Requests whose target contains `target_part` get `reply` instead of the emulator's answer,
  // until disarm(). Armed answers are tried in the order they were armed.
  void arm(std::string target_part, answer reply);
  void disarm();
  int hostile_answers() const;  // requests answered by an armed answer so far

  std::vector<testing::recorded_request> requests() const { return server_->requests(); }
  std::uint64_t bytes_written() const { return server_->bytes_written(); }

 private:
  testing::scripted_reply handle(testing::recorded_request const& r);
  testing::scripted_reply forward(testing::recorded_request const& r) const;

  struct armed {
    std::string target_part;
    answer reply;
  };

  std::string emulator_origin_;
  mutable std::mutex mutex_;
  std::vector<armed> armed_;
  int hostile_answers_ = 0;
  // Last: its thread calls handle(), which needs the members above.
  std::unique_ptr<testing::test_server> server_;
};

// A listener on another host that answers nothing useful and records whatever reaches it: where a
// hostile link or redirect points. The daemon must never connect to it.
class other_host {
 public:
  // On `address` (another loopback address, "127.0.0.2"), at `port` (the proxy's, so that only the
  // host differs from the configured URL).
  other_host(std::string const& address, std::uint16_t port);
  int connections() const { return server_.connections(); }
  std::vector<testing::recorded_request> requests() const { return server_.requests(); }

 private:
  testing::test_server server_;
};

}  // namespace dvsync::test
