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

}  // namespace emulator
