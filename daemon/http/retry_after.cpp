#include "http/retry_after.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace dvsync::http {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> short_days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_days = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                       "Friday", "Saturday", "Sunday"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A forward-only reader over the value; every step either consumes exactly what it expects or fails.
class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}

  bool done() const { return s_.empty(); }

  bool literal(std::string_view text) {
    if (s_.substr(0, text.size()) != text) return false;
    s_.remove_prefix(text.size());
    return true;
  }

  std::optional<int> digits(std::size_t count) {
    if (s_.size() < count) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (!is_digit(s_[i])) return std::nullopt;
      v = v * 10 + (s_[i] - '0');
    }
    s_.remove_prefix(count);
    return v;
  }

  // The index of the name that the value starts with.
  template <std::size_t N>
  std::optional<unsigned> one_of(std::array<std::string_view, N> const& names) {
    for (unsigned i = 0; i < N; ++i) {
      if (literal(names[i])) return i;
    }
    return std::nullopt;
  }

 private:
  std::string_view s_;
};

struct clock_time {
  int hour = 0;
  int minute = 0;
  int second = 0;
};

std::optional<clock_time> read_time(cursor& c) {
  auto h = c.digits(2);
  if (!h || !c.literal(":")) return std::nullopt;
  auto m = c.digits(2);
  if (!m || !c.literal(":")) return std::nullopt;
  auto s = c.digits(2);
  if (!s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return clock_time{*h, *m, *s};
}

// system_clock counts nanoseconds in 64 bits, about 292 years either side of 1970, while a date
// may name any year from 0000 to 9999: converting those would overflow. They saturate instead
// (the latest instant waits as long as the caller's cap allows, the earliest means now).
std::optional<system_clock::time_point> make_time(int y, unsigned month_index, int d, clock_time t) {
  year_month_day const ymd{year{y}, month{month_index + 1}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  sys_seconds const when = sys_days{ymd} + hours{t.hour} + minutes{t.minute} + seconds{t.second};
  if (when > floor<seconds>(system_clock::time_point::max())) return system_clock::time_point::max();
  if (when < ceil<seconds>(system_clock::time_point::min())) return system_clock::time_point::min();
  return time_point_cast<system_clock::duration>(when);
}

// Sun, 06 Nov 1994 08:49:37 GMT
std::optional<system_clock::time_point> imf_fixdate(std::string_view s) {
  cursor c(s);
  if (!c.one_of(short_days) || !c.literal(", ")) return std::nullopt;
  auto d = c.digits(2);
  if (!d || !c.literal(" ")) return std::nullopt;
  auto mon = c.one_of(month_names);
  if (!mon || !c.literal(" ")) return std::nullopt;
  auto y = c.digits(4);
  if (!y || !c.literal(" ")) return std::nullopt;
  auto t = read_time(c);
  if (!t || !c.literal(" GMT") || !c.done()) return std::nullopt;
  return make_time(*y, *mon, *d, *t);
}

// Sunday, 06-Nov-94 08:49:37 GMT
std::optional<system_clock::time_point> rfc850_date(std::string_view s, system_clock::time_point now) {
  cursor c(s);
  if (!c.one_of(long_days) || !c.literal(", ")) return std::nullopt;
  auto d = c.digits(2);
  if (!d || !c.literal("-")) return std::nullopt;
  auto mon = c.one_of(month_names);
  if (!mon || !c.literal("-")) return std::nullopt;
  auto yy = c.digits(2);
  if (!yy || !c.literal(" ")) return std::nullopt;
  auto t = read_time(c);
  if (!t || !c.literal(" GMT") || !c.done()) return std::nullopt;
  // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead belongs to the previous century.
  int const this_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
  int y = this_year - this_year % 100 + *yy;
  if (y > this_year + 50) y -= 100;
  return make_time(y, *mon, *d, *t);
}

// Sun Nov  6 08:49:37 1994
std::optional<system_clock::time_point> asctime_date(std::string_view s) {
  cursor c(s);
  if (!c.one_of(short_days) || !c.literal(" ")) return std::nullopt;
  auto mon = c.one_of(month_names);
  if (!mon || !c.literal(" ")) return std::nullopt;
  std::optional<int> d = c.literal(" ") ? c.digits(1) : c.digits(2);
  if (!d || !c.literal(" ")) return std::nullopt;
  auto t = read_time(c);
  if (!t || !c.literal(" ")) return std::nullopt;
  auto y = c.digits(4);
  if (!y || !c.done()) return std::nullopt;
  return make_time(*y, *mon, *d, *t);
}

std::optional<seconds> delay_seconds(std::string_view s) {
  std::int64_t v = 0;
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  for (char ch : s) {
    if (!is_digit(ch)) return std::nullopt;
    int const digit = ch - '0';
    if (v > (max - digit) / 10) return seconds::max();
    v = v * 10 + digit;
  }
  return seconds{v};
}

}  // namespace

std::optional<system_clock::time_point> parse_http_date(std::string_view value, system_clock::time_point now) {
  value = trim(value);
  if (auto t = imf_fixdate(value)) return t;
  if (auto t = rfc850_date(value, now)) return t;
  return asctime_date(value);
}

std::optional<seconds> parse_retry_after(std::string_view value, system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (is_digit(value.front())) return delay_seconds(value);
  auto const when = parse_http_date(value, now);
  if (!when) return std::nullopt;
  if (*when <= now) return seconds{0};
  return ceil<seconds>(*when - now);
}

}  // namespace dvsync::http
