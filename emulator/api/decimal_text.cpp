#include "decimal_text.hpp"

#include <cstddef>

namespace emulator {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A decimal as sign, all significant digits and the power of ten of the last digit.
struct decimal_parts {
  bool negative = false;
  std::string digits;  // no leading zeros; empty means zero
  long exponent = 0;   // value = digits * 10^exponent
};

std::optional<decimal_parts> parse(std::string_view s) {
  decimal_parts p;
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') {
    p.negative = true;
    ++i;
  }
  std::size_t const int_start = i;
  while (i < s.size() && is_digit(s[i])) p.digits += s[i++];
  if (i == int_start) return std::nullopt;
  // JSON allows no leading zero before other digits ("01").
  if (i - int_start > 1 && s[int_start] == '0') return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t const frac_start = i;
    while (i < s.size() && is_digit(s[i])) {
      p.digits += s[i++];
      --p.exponent;
    }
    if (i == frac_start) return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    std::size_t const exp_start = i;
    long e = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (e < 100000) e = e * 10 + (s[i] - '0');
      ++i;
    }
    if (i == exp_start) return std::nullopt;
    p.exponent += neg ? -e : e;
  }
  if (i != s.size()) return std::nullopt;
  std::size_t const first = p.digits.find_first_not_of('0');
  p.digits = first == std::string::npos ? std::string() : p.digits.substr(first);
  if (p.digits.empty()) p.negative = false;
  return p;
}

// The integer digits*10^(exponent+scale), rounded half away from zero, as a digit string.
std::string scaled_integer(decimal_parts const& p, int scale) {
  long const shift = p.exponent + scale;
  if (p.digits.empty()) return "0";
  if (shift >= 0) {
    if (shift > 4000) return p.digits + std::string(4000, '0');  // absurd exponents: cut, caller range-checks
    return p.digits + std::string(static_cast<std::size_t>(shift), '0');
  }
  auto const drop = static_cast<std::size_t>(-shift);
  if (drop > p.digits.size()) return "0";
  std::string kept = p.digits.substr(0, p.digits.size() - drop);
  bool const round_up = p.digits[p.digits.size() - drop] >= '5';
  if (kept.empty()) kept = "0";
  if (round_up) {
    std::size_t j = kept.size();
    while (j > 0) {
      --j;
      if (kept[j] == '9') {
        kept[j] = '0';
      } else {
        ++kept[j];
        break;
      }
      if (j == 0) kept.insert(kept.begin(), '1');
    }
  }
  std::size_t const first = kept.find_first_not_of('0');
  return first == std::string::npos ? std::string("0") : kept.substr(first);
}

}  // namespace

std::optional<std::string> normalize_decimal(std::string_view json_number, int scale) {
  auto const p = parse(json_number);
  if (!p) return std::nullopt;
  std::string n = scaled_integer(*p, scale);
  if (n.size() <= static_cast<std::size_t>(scale)) n.insert(0, static_cast<std::size_t>(scale) + 1 - n.size(), '0');
  std::string out;
  if (p->negative && n.find_first_not_of('0') != std::string::npos) out.push_back('-');
  out.append(n, 0, n.size() - static_cast<std::size_t>(scale));
  if (scale > 0) {
    out.push_back('.');
    out.append(n, n.size() - static_cast<std::size_t>(scale), std::string::npos);
  }
  return out;
}

int compare_decimal(std::string_view a, std::string_view b) {
  auto const pa = parse(a);
  auto const pb = parse(b);
  if (!pa || !pb) return 0;
  // Bring both to the same exponent, then compare as integers.
  long const e = std::min(pa->exponent, pb->exponent);
  auto widen = [e](decimal_parts const& p) {
    if (p.digits.empty()) return std::string();
    return p.digits + std::string(static_cast<std::size_t>(std::min<long>(p.exponent - e, 4000)), '0');
  };
  std::string const da = widen(*pa), db = widen(*pb);
  int const sa = da.empty() ? 0 : pa->negative ? -1 : 1;
  int const sb = db.empty() ? 0 : pb->negative ? -1 : 1;
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  int magnitude = da.size() != db.size() ? (da.size() < db.size() ? -1 : 1) : da.compare(db) < 0 ? -1 : da == db ? 0 : 1;
  return sa * magnitude;
}

std::string group_thousands(std::string_view number, int scale) {
  auto const n = normalize_decimal(number, scale);
  if (!n) return std::string(number);
  std::string_view v = *n;
  std::string out;
  if (!v.empty() && v.front() == '-') {
    out.push_back('-');
    v.remove_prefix(1);
  }
  std::size_t const point = v.find('.');
  std::string_view const whole = v.substr(0, point);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(whole[i]);
  }
  if (point != std::string_view::npos) out += v.substr(point);
  return out;
}

}  // namespace emulator
