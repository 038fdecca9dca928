#include "hostile_proxy.hpp"

#include "http_client.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <string_view>

namespace dvsync::test {
namespace {

bool named(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return boost::beast::iequals(name, n); });
}

}  // namespace

hostile_proxy::hostile_proxy(std::string emulator_origin)
    : emulator_origin_(std::move(emulator_origin)),
      server_(std::make_unique<testing::test_server>([this](testing::recorded_request const& r) { return handle(r); })) {}

std::string hostile_proxy::origin() const { return "http://127.0.0.1:" + std::to_string(port()); }

void hostile_proxy::arm(std::string target_part, answer reply) {
  std::lock_guard lock(mutex_);
  armed_.push_back({std::move(target_part), std::move(reply)});
}

void hostile_proxy::disarm() {
  std::lock_guard lock(mutex_);
  armed_.clear();
}

int hostile_proxy::hostile_answers() const {
  std::lock_guard lock(mutex_);
  return hostile_answers_;
}

testing::scripted_reply hostile_proxy::handle(testing::recorded_request const& r) {
  {
    std::lock_guard lock(mutex_);
    for (auto const& a : armed_) {
      if (r.target.find(a.target_part) == std::string::npos) continue;
      ++hostile_answers_;
      return a.reply(r);
    }
  }
  return forward(r);
}

// Blocks the proxy's thread for the emulator's answer: the daemon sends one request at a time per
// connection, and the emulator answers in milliseconds.
testing::scripted_reply hostile_proxy::forward(testing::recorded_request const& r) const {
  header_list headers;
  for (auto const& h : r.headers) {
    // The body is sent whole and unencoded, on a connection of its own.
    if (named(h.name, {"Accept-Encoding", "Connection", "Keep-Alive", "Content-Length", "Transfer-Encoding"})) continue;
    headers.emplace_back(h.name, h.value);
  }
  auto const reply = http_call(r.method, emulator_origin_ + r.target, r.body, headers);
  if (reply.status == 0) return {testing::http_response(502, "emulator unreachable: " + reply.error), {}, true};
  http::header_list back;
  for (auto const& [name, value] : reply.headers) {
    if (named(name, {"Connection", "Keep-Alive", "Content-Length", "Transfer-Encoding", "Content-Encoding"})) continue;
    back.push_back({name, value});
  }
  return {testing::http_response(reply.status, reply.body, back, "Forwarded")};
}

other_host::other_host(std::string const& address, std::uint16_t port)
    : server_([](testing::recorded_request const&) { return testing::scripted_reply{testing::http_response(418, "")}; },
              address, port) {}

}  // namespace dvsync::test
