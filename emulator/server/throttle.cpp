#include "server/throttle.hpp"

#include <boost/json.hpp>

namespace emulator {

request_throttle::request_throttle(int max_requests, std::chrono::seconds window)
    : max_requests_(max_requests), window_(window) {}

std::optional<std::chrono::seconds> request_throttle::admit(clock::time_point now) {
  while (!admitted_.empty() && admitted_.front() + window_ <= now) admitted_.pop_front();
  if (static_cast<int>(admitted_.size()) < max_requests_) {
    admitted_.push_back(now);
    return std::nullopt;
  }
  auto wait = admitted_.front() + window_ - now;
  auto whole = std::chrono::ceil<std::chrono::seconds>(wait);
  return std::max(whole, std::chrono::seconds(1));
}

http_response request_throttle::rejection(std::chrono::seconds retry_after) const {
  boost::json::object error;
  error["code"] = "0x80072322";
  error["message"] = "Number of requests exceeded the limit of " + std::to_string(max_requests_) +
                     " over time window of " + std::to_string(window_.count()) + " seconds.";
  http_response r;
  r.status = 429;
  r.headers = {{"Content-Type", "application/json; odata.metadata=minimal"},
               {"OData-Version", "4.0"},
               {"Retry-After", std::to_string(retry_after.count())}};
  r.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  return r;
}

namespace {

http_response too_many_requests(std::string_view code, std::string message, std::chrono::seconds retry_after) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = std::move(message);
  http_response r;
  r.status = 429;
  r.headers = {{"Content-Type", "application/json; odata.metadata=minimal"},
               {"OData-Version", "4.0"},
               {"Retry-After", std::to_string(retry_after.count())}};
  r.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  return r;
}

}  // namespace

concurrency_limit::concurrency_limit(int max_in_progress) : max_(max_in_progress) {}

bool concurrency_limit::enter() {
  if (in_progress_ >= max_) return false;
  ++in_progress_;
  return true;
}

void concurrency_limit::leave() {
  if (in_progress_ > 0) --in_progress_;
}

http_response concurrency_limit::rejection() const {
  // The documents give no Retry-After for this error; every 429 of the Web API has one [I].
  return too_many_requests("0x80072326", "Number of concurrent requests exceeded the limit of " + std::to_string(max_) + ".",
                           std::chrono::seconds(1));
}

execution_time_limit::execution_time_limit(std::chrono::milliseconds max_total, std::chrono::seconds window)
    : max_(max_total), window_(window) {}

void execution_time_limit::forget_before(clock::time_point now) {
  while (!spans_.empty() && spans_.front().ended + window_ <= now) {
    total_ -= spans_.front().took;
    spans_.pop_front();
  }
}

std::optional<std::chrono::seconds> execution_time_limit::admit(clock::time_point now) {
  forget_before(now);
  if (total_ < max_) return std::nullopt;
  // Wait until the spans that must leave for the total to drop below the limit have left.
  auto excess = total_ - max_;
  auto until = now;
  for (auto const& s : spans_) {
    until = s.ended + window_;
    if (s.took > excess) break;
    excess -= s.took;
  }
  auto whole = std::chrono::ceil<std::chrono::seconds>(until - now);
  return std::max(whole, std::chrono::seconds(1));
}

void execution_time_limit::record(clock::time_point start, clock::time_point end) {
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
  spans_.push_back({end, took});
  total_ += took;
}

http_response execution_time_limit::rejection(std::chrono::seconds retry_after) const {
  // The two spaces before "milliseconds" are in Microsoft's published message.
  return too_many_requests("0x80072321",
                           "Combined execution time of incoming requests exceeded limit of " + std::to_string(max_.count()) +
                               "  milliseconds over time window of " + std::to_string(window_.count()) +
                               " seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
                           retry_after);
}

}  // namespace emulator
