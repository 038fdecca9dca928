#include "json_text.hpp"

#include <charconv>
#include <chrono>

namespace emulator {
namespace {

using days = std::chrono::sys_days;

void append_2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10 % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void append_4(std::string& out, int v) {
  append_2(out, static_cast<unsigned>(v / 100));
  append_2(out, static_cast<unsigned>(v % 100));
}

struct civil {
  int year;
  unsigned month, day, hour, minute, second;
};

civil to_civil(std::int64_t unix_seconds) {
  std::int64_t day_number = unix_seconds / 86400;
  std::int64_t rest = unix_seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --day_number;
  }
  std::chrono::year_month_day const ymd{days{std::chrono::days{day_number}}};
  return {static_cast<int>(ymd.year()),       static_cast<unsigned>(ymd.month()),    static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(rest / 3600), static_cast<unsigned>(rest / 60 % 60), static_cast<unsigned>(rest % 60)};
}

std::optional<std::int64_t> from_civil(civil const& c) {
  if (c.hour > 23 || c.minute > 59 || c.second > 59) return std::nullopt;
  std::chrono::year_month_day const ymd{std::chrono::year{c.year}, std::chrono::month{c.month},
                                        std::chrono::day{c.day}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t const day_number = days{ymd}.time_since_epoch().count();
  return day_number * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
}

// Reads exactly n digits at pos; advances pos.
std::optional<unsigned> digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char const c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of characters that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto const r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_iso_time(std::string& out, std::int64_t unix_seconds) {
  civil const c = to_civil(unix_seconds);
  append_4(out, c.year);
  out.push_back('-');
  append_2(out, c.month);
  out.push_back('-');
  append_2(out, c.day);
  out.push_back('T');
  append_2(out, c.hour);
  out.push_back(':');
  append_2(out, c.minute);
  out.push_back(':');
  append_2(out, c.second);
  out.push_back('Z');
}

std::string formatted_time(std::int64_t unix_seconds, bool date_only) {
  civil const c = to_civil(unix_seconds);
  std::string out = std::to_string(c.month) + "/" + std::to_string(c.day) + "/" + std::to_string(c.year);
  if (date_only) return out;
  int const hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
  out += " " + std::to_string(hour12) + ":";
  append_2(out, c.minute);
  out += c.hour < 12 ? " AM" : " PM";
  return out;
}

std::optional<std::int64_t> parse_iso_time(std::string_view s) {
  std::size_t pos = 0;
  auto const y = digits(s, pos, 4);
  if (!y || !expect(s, pos, '-')) return std::nullopt;
  auto const mo = digits(s, pos, 2);
  if (!mo || !expect(s, pos, '-')) return std::nullopt;
  auto const d = digits(s, pos, 2);
  if (!d) return std::nullopt;
  civil c{static_cast<int>(*y), *mo, *d, 0, 0, 0};
  std::int64_t offset = 0;
  if (pos < s.size()) {
    if (!expect(s, pos, 'T')) return std::nullopt;
    auto const h = digits(s, pos, 2);
    if (!h || !expect(s, pos, ':')) return std::nullopt;
    auto const mi = digits(s, pos, 2);
    if (!mi) return std::nullopt;
    c.hour = *h;
    c.minute = *mi;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      auto const sec = digits(s, pos, 2);
      if (!sec) return std::nullopt;
      c.second = *sec;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t const start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
      }
    }
    if (pos < s.size()) {
      char const zone = s[pos++];
      if (zone == 'Z') {
        // UTC
      } else if (zone == '+' || zone == '-') {
        auto const oh = digits(s, pos, 2);
        if (!oh || !expect(s, pos, ':')) return std::nullopt;
        auto const om = digits(s, pos, 2);
        if (!om || *oh > 23 || *om > 59) return std::nullopt;
        offset = (zone == '+' ? 1 : -1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
      } else {
        return std::nullopt;
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  auto const t = from_civil(c);
  if (!t) return std::nullopt;
  return *t - offset;
}

std::string token_time(std::int64_t unix_seconds) {
  civil const c = to_civil(unix_seconds);
  std::string out;
  out.reserve(19);
  append_2(out, c.month);
  out.push_back('/');
  append_2(out, c.day);
  out.push_back('/');
  append_4(out, c.year);
  out.push_back(' ');
  append_2(out, c.hour);
  out.push_back(':');
  append_2(out, c.minute);
  out.push_back(':');
  append_2(out, c.second);
  return out;
}

std::optional<std::int64_t> parse_token_time(std::string_view s) {
  std::size_t pos = 0;
  auto const mo = digits(s, pos, 2);
  if (!mo || !expect(s, pos, '/')) return std::nullopt;
  auto const d = digits(s, pos, 2);
  if (!d || !expect(s, pos, '/')) return std::nullopt;
  auto const y = digits(s, pos, 4);
  if (!y || !expect(s, pos, ' ')) return std::nullopt;
  auto const h = digits(s, pos, 2);
  if (!h || !expect(s, pos, ':')) return std::nullopt;
  auto const mi = digits(s, pos, 2);
  if (!mi || !expect(s, pos, ':')) return std::nullopt;
  auto const sec = digits(s, pos, 2);
  if (!sec || pos != s.size()) return std::nullopt;
  return from_civil({static_cast<int>(*y), *mo, *d, *h, *mi, *sec});
}

std::size_t utf16_length(std::string_view utf8) {
  std::size_t n = 0;
  for (char ch : utf8) {
    auto const c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    n += c >= 0xF0 ? 2 : 1;            // four-byte sequences are surrogate pairs in UTF-16
  }
  return n;
}

}  // namespace emulator
