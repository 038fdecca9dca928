#include "ops_fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace dvsync::test {

using namespace std::chrono_literals;

namespace {

int count_of(std::string const& haystack, std::string const& needle) {
  int n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + needle.size())) ++n;
  return n;
}

}  // namespace

bool ops_test::wait_for_log(std::string const& needle, std::chrono::milliseconds timeout, int times,
                            std::string const& log_name) const {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (count_of(log(log_name), needle) < times) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::uint16_t ops_test::metrics_port(std::string const& log_name) const {
  if (!wait_for_log("event=metrics.listening", 10s, 1, log_name)) return 0;
  std::smatch m;
  auto const text = log(log_name);
  if (!std::regex_search(text, m, std::regex("event=metrics\\.listening [^\\n]*port=([0-9]+)"))) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

http_reply ops_test::get(std::uint16_t port, std::string const& path) const {
  return http_call("GET", "http://127.0.0.1:" + std::to_string(port) + path);
}

http_reply ops_test::wait_for_status(std::uint16_t port, std::string const& path, int status,
                                     std::chrono::milliseconds timeout) const {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto r = get(port, path);
    if (r.status == status || std::chrono::steady_clock::now() > deadline) return r;
    std::this_thread::sleep_for(50ms);
  }
}

std::string ops_test::metrics_at(std::string const& listen) { return R"("metrics": {"listen": ")" + listen + R"("},)"; }

std::uint16_t ops_test::free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

std::map<std::string, std::string> parse_metrics(std::string const& body) {
  std::map<std::string, std::string> out;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    auto space = line.rfind(' ');
    if (space != std::string::npos) out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

}  // namespace dvsync::test
