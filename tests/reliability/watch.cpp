#include "watch.hpp"

#include "http_client.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace dvsync::test {

std::vector<std::string> log_follower::new_lines() {
  std::vector<std::string> lines;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return lines;
  in.seekg(0, std::ios::end);
  auto const size = static_cast<std::uint64_t>(in.tellg());
  if (size <= offset_) return lines;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(size - offset_, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<std::size_t>(in.gcount()));
  offset_ += chunk.size();
  partial_ += chunk;
  std::size_t start = 0;
  for (auto end = partial_.find('\n'); end != std::string::npos; end = partial_.find('\n', start)) {
    lines.emplace_back(partial_.substr(start, end - start));
    start = end + 1;
  }
  partial_.erase(0, start);
  return lines;
}

std::optional<std::string> log_field(std::string_view line, std::string_view key) {
  std::string const needle = std::string(key) + "=";
  for (std::size_t at = line.find(needle); at != std::string_view::npos; at = line.find(needle, at + 1)) {
    if (at != 0 && line[at - 1] != ' ') continue;
    auto value = line.substr(at + needle.size());
    if (!value.empty() && value.front() == '"') {
      std::string out;
      for (std::size_t i = 1; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
          out += value[++i];
        } else if (value[i] == '"') {
          return out;
        } else {
          out += value[i];
        }
      }
      return out;
    }
    return std::string(value.substr(0, value.find(' ')));
  }
  return std::nullopt;
}

std::optional<std::int64_t> log_number(std::string_view line, std::string_view key) {
  auto text = log_field(line, key);
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return v;
}

std::string log_event(std::string_view line) { return log_field(line, "event").value_or(""); }

std::optional<std::chrono::system_clock::time_point> log_time(std::string_view line) {
  auto text = log_field(line, "time");  // 2026-11-26T13:10:12.123Z
  if (!text) return std::nullopt;
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text->c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

std::optional<process_sample> sample_process(pid_t pid) {
  auto const proc = "/proc/" + std::to_string(pid);
  std::ifstream status(proc + "/status");
  if (!status) return std::nullopt;
  process_sample s;
  bool found = false;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) {
      std::istringstream(line.substr(6)) >> s.rss_kib;
      found = true;
    }
  }
  // A zombie has no VmRSS: it is gone for our purposes.
  if (!found) return std::nullopt;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(proc + "/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++s.fds;
  if (ec) return std::nullopt;
  return s;
}

std::uint64_t file_bytes(std::string const& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

std::optional<double> scrape_metric(std::uint16_t port, std::string const& series) {
  auto r = http_call("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics");
  if (r.status != 200) return std::nullopt;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

double seconds_between(std::chrono::system_clock::time_point a, std::chrono::system_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double slope(std::vector<double> const& x, std::vector<double> const& y) {
  auto const n = static_cast<double>(std::min(x.size(), y.size()));
  if (n < 2) return 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  double const d = n * sxx - sx * sx;
  return d == 0 ? 0 : (n * sxy - sx * sy) / d;
}

}  // namespace dvsync::test
