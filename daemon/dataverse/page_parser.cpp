#include "dataverse/page_parser.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <cmath>
#include <unordered_map>
#include <utility>

namespace dvsync::dataverse {
namespace json = boost::json;
namespace {

using config::column_type;
constexpr std::size_t none = std::size_t(-1);

core::error protocol(std::string message) { return core::make_error(core::errc::protocol, std::move(message)); }

// The offset of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), if any. Boost.JSON refuses such a byte with a
// plain syntax error; this lets the error say what is wrong.
std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  auto const* p = reinterpret_cast<unsigned char const*>(s.data());
  std::size_t const n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char const c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr std::size_t guid_size = 36;

// A hex digit in lower case, or 0 for any other byte.
constexpr std::array<char, 256> lower_hex = [] {
  std::array<char, 256> t{};
  for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = c;
  for (char c = 'a'; c <= 'f'; ++c) t[static_cast<unsigned char>(c)] = c;
  for (char c = 'A'; c <= 'F'; ++c) t[static_cast<unsigned char>(c)] = static_cast<char>(c - 'A' + 'a');
  return t;
}();

// 8-4-4-4-12 hex digits, written to `out` in lower case (the mirror's form). A table instead of
// per-character tests: a wide row holds about ten GUIDs.
bool lower_guid(std::string_view s, char* out) {
  if (s.size() != guid_size || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  bool all_hex = true;  // no branch per character
  for (std::size_t i = 0; i < guid_size; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      out[i] = '-';
      continue;
    }
    char const c = lower_hex[static_cast<unsigned char>(s[i])];
    all_hex &= c != 0;
    out[i] = c;
  }
  return all_hex;
}

std::optional<std::string> normalize_guid(std::string_view s) {
  std::string out(guid_size, '\0');
  if (!lower_guid(s, out.data())) return std::nullopt;
  return out;
}

// Dataverse sends a bare GUID; generic OData sends an entity-id such as `accounts(<guid>)`,
// `accounts(accountid=<guid>)` or a whole URL ending that way.
std::optional<std::string> deleted_id(std::string_view id) {
  if (auto open = id.rfind('('); open != std::string_view::npos) {
    auto close = id.find(')', open);
    if (close == std::string_view::npos) return std::nullopt;
    id = id.substr(open + 1, close - open - 1);
    if (auto eq = id.rfind('='); eq != std::string_view::npos) id = id.substr(eq + 1);
    if (id.size() >= 2 && id.front() == '\'' && id.back() == '\'') id = id.substr(1, id.size() - 2);
  }
  return normalize_guid(id);
}

// An optional minus sign and decimal digits that fit int64 (a leading + is refused).
std::optional<std::int64_t> to_int64(std::string_view s) {
  std::int64_t n = 0;
  if (s.empty() || s.front() == '+') return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// The weak ETag W/"<versionnumber>"; an ETag of another shape is opaque and yields nothing.
std::optional<std::int64_t> weak_etag_version(std::string_view s) {
  if (s.size() > 4 && s.starts_with("W/\"") && s.back() == '"') {
    auto digits = s.substr(3, s.size() - 4);
    if (digits.front() != '-') return to_int64(digits);
  }
  return std::nullopt;
}

// RFC 8259's number grammar, for a decimal sent as a string (IEEE754Compatible=true).
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t from = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0')
    ++i;
  else if (!digits())
    return false;
  if (i < s.size() && s[i] == '.' && (++i, !digits())) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// The double nearest to a number's text. Boost.JSON 1.81's own conversion may miss it by an ulp.
std::optional<double> nearest_double(std::string_view text) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// --- Dates ------------------------------------------------------------------------------------

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Days since 1970-01-01 and back (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  long const era = (y >= 0 ? y : y - 399) / 400;
  long const yoe = y - era * 400;
  long const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  long const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(long z, int& y, int& m, int& d) {
  z += 719468;
  long const era = (z >= 0 ? z : z - 146096) / 146097;
  long const doe = z - era * 146097;
  long const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long const mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

bool read_number(std::string_view s, std::size_t at, std::size_t n, int& out) {
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!is_digit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

struct timestamp {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string_view fraction;  // with its dot, or empty
  int offset_minutes = 0;     // local time minus UTC
};

bool read_date(std::string_view s, timestamp& t) {
  return s.size() >= 10 && s[4] == '-' && s[7] == '-' && read_number(s, 0, 4, t.year) && read_number(s, 5, 2, t.month) &&
         read_number(s, 8, 2, t.day) && t.month >= 1 && t.month <= 12 && t.day >= 1 &&
         t.day <= days_in_month(t.year, t.month);
}

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)
std::optional<timestamp> read_timestamp(std::string_view s) {
  timestamp t;
  if (s.size() < 20 || !read_date(s, t) || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      !read_number(s, 11, 2, t.hour) || !read_number(s, 14, 2, t.minute) || !read_number(s, 17, 2, t.second) ||
      t.hour > 23 || t.minute > 59 || t.second > 59)
    return std::nullopt;
  std::size_t i = 19;
  if (s[i] == '.') {
    while (++i < s.size() && is_digit(s[i])) {
    }
    if (i == 20) return std::nullopt;
    t.fraction = s.substr(19, i - 19);
  }
  std::string_view zone = s.substr(i);
  if (zone == "Z") return t;
  int h = 0, m = 0;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !read_number(zone, 1, 2, h) ||
      !read_number(zone, 4, 2, m) || h > 23 || m > 59)
    return std::nullopt;
  t.offset_minutes = (zone[0] == '-' ? -1 : 1) * (h * 60 + m);
  return t;
}

// The same instant in UTC, YYYY-MM-DDTHH:MM:SS[.fraction]Z: `s` itself when sent in UTC, else
// written to `scratch`.
std::optional<std::string_view> utc_datetime(std::string_view s, std::string& scratch) {
  auto t = read_timestamp(s);
  if (!t) return std::nullopt;
  if (s.back() == 'Z') return s;
  long minutes = days_from_civil(t->year, t->month, t->day) * 1440 + t->hour * 60 + t->minute - t->offset_minutes;
  long const days = (minutes >= 0 ? minutes : minutes - 1439) / 1440;
  minutes -= days * 1440;
  civil_from_days(days, t->year, t->month, t->day);
  if (t->year < 0 || t->year > 9999) return std::nullopt;
  scratch.clear();
  fmt::format_to(std::back_inserter(scratch), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z", t->year, t->month, t->day,
                 minutes / 60, minutes % 60, t->second, t->fraction);
  return scratch;
}

// YYYY-MM-DD, or a timestamp at midnight of that day (whatever its offset: a date has no zone).
std::optional<std::string_view> date_only(std::string_view s) {
  timestamp t;
  if (s.size() == 10) {
    if (!read_date(s, t)) return std::nullopt;
  } else {
    auto full = read_timestamp(s);
    if (!full || full->hour != 0 || full->minute != 0 || full->second != 0 ||
        full->fraction.find_first_not_of(".0") != std::string_view::npos)
      return std::nullopt;
  }
  return s.substr(0, 10);
}

// --- JSON text ---------------------------------------------------------------------------------

// As boost::json::serialize escapes: quote, backslash and control characters; UTF-8 as is.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    switch (c) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '\b': out.push_back('b'); break;
      case '\f': out.push_back('f'); break;
      case '\n': out.push_back('n'); break;
      case '\r': out.push_back('r'); break;
      case '\t': out.push_back('t'); break;
      default:
        out.append("u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
}

// Compact JSON text written from parser events; numbers keep the text they were sent as.
class json_writer {
 public:
  std::string text;

  void clear() {
    text.clear();
    comma_ = false;
  }
  void open(char c) {
    separate();
    text.push_back(c);
    comma_ = false;
  }
  void close(char c) {
    text.push_back(c);
    comma_ = true;
  }
  void key(std::string_view k) {
    separate();
    quoted(k);
    text.push_back(':');
    comma_ = false;
  }
  void string(std::string_view s) {
    separate();
    quoted(s);
    comma_ = true;
  }
  void literal(std::string_view s) {  // a number's text, true, false or null
    separate();
    text.append(s);
    comma_ = true;
  }

 private:
  void separate() {
    if (comma_) text.push_back(',');
  }
  void quoted(std::string_view s) {
    text.push_back('"');
    append_escaped(text, s);
    text.push_back('"');
  }
  bool comma_ = false;
};

// --- Parser events -----------------------------------------------------------------------------

enum class kind : std::uint8_t { null, boolean, int64, uint64, real, string, object, array };

// One value as the parser announces it (a container at its start).
struct token {
  explicit token(kind what) : k(what) {}
  kind k;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string_view text;  // a string's content or a number's text
};

char const* sent_as(kind k) {
  switch (k) {
    case kind::null: return "null";
    case kind::boolean: return "true or false";
    case kind::int64:
    case kind::uint64:
    case kind::real: return "a number";
    case kind::string: return "a string";
    case kind::object: return "an object";
    case kind::array: return "an array";
  }
  return "a value";
}

char const* expected(column_type t) {
  switch (t) {
    case column_type::json: return "a value";
    case column_type::text: return "a string";
    case column_type::integer:
    case column_type::choice: return "an integer";
    case column_type::boolean: return "true or false";
    case column_type::real:
    case column_type::decimal: return "a number";
    case column_type::datetime: return "a date and time (YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset)";
    case column_type::date: return "a date (YYYY-MM-DD)";
    case column_type::guid:
    case column_type::lookup: return "a GUID";
    case column_type::choices: return "integers separated by commas, or an array of integers";
  }
  return "a value";
}

// Why a value cannot be stored; the reason of the reject names the attribute too.
struct problem {
  enum class what : std::uint8_t { none, wrong_kind, malformed, not_whole, beyond_int64, out_of_range };
  what is = what::none;
  kind sent = kind::null;

  explicit operator bool() const { return is != what::none; }
};

std::string describe(problem p, config::column_spec const& c) {
  switch (p.is) {
    case problem::what::wrong_kind:
      return fmt::format("attribute {}: expected {}, not {}", c.name, expected(c.type), sent_as(p.sent));
    case problem::what::malformed: return fmt::format("attribute {}: expected {}", c.name, expected(c.type));
    case problem::what::not_whole:
      return fmt::format("attribute {}: expected an integer, not a number with a fraction or an exponent", c.name);
    case problem::what::beyond_int64: return fmt::format("attribute {}: integer beyond 64 bits", c.name);
    case problem::what::out_of_range: return fmt::format("attribute {}: number out of range", c.name);
    case problem::what::none: break;
  }
  return {};
}

// Reads a page in one pass, with no DOM. A record is assembled member by member into reused
// buffers and decided when its object closes: a delete, an upsert, or a reject.
class page_reader {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  page out;
  std::optional<std::string> failure;  // the protocol error that stopped the parse
  // The elements whose raw JSON the rejects need: (index in value, index in out.rejects).
  std::vector<std::pair<std::size_t, std::size_t>> raw_wanted;

  explicit page_reader(config::table_spec const& spec) : spec_(spec), fields_(config::fields_of(spec)) {
    std::size_t const n = spec.columns.size();
    value_slot_.assign(n, none);
    exact_slot_.assign(n, none);
    target_slot_.assign(n, none);
    for (std::size_t f = 0; f < fields_.size(); ++f) {
      auto const& field = fields_[f];
      auto& slot = field.of == config::field::part::value   ? value_slot_
                   : field.of == config::field::part::exact ? exact_slot_
                                                            : target_slot_;
      slot[field.column] = f;
    }
    for (std::size_t c = 0; c < n; ++c)
      if (target_slot_[c] != none)
        annotations_.push_back(spec.columns[c].wire + "@Microsoft.Dynamics.CRM.lookuplogicalname");
    // Views into spec and annotations_, both unchanged from here on.
    roles_.reserve(n + annotations_.size() + 6);
    for (std::size_t c = 0, a = 0; c < n; ++c) {
      if (auto& r = roles_[spec.columns[c].wire]; r.column == none) r.column = c;
      if (target_slot_[c] != none) roles_[annotations_[a++]].target_of = c;
      if (!spec.key.empty() && spec.columns[c].name == spec.key && key_column_ == none) key_column_ = c;
    }
    roles_[spec.id].primary = true;
    roles_["@odata.etag"].etag = true;
    roles_["versionnumber"].versionnumber = true;
    roles_["@odata.context"].context = true;
    roles_["id"].deleted_id = true;
    roles_["reason"].reason = true;
    problems_.assign(n, {});
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code& ec) { return open(token(kind::object), ec); }
  bool on_object_end(std::size_t, json::error_code& ec) { return close('}', ec); }
  bool on_array_begin(json::error_code& ec) { return open(token(kind::array), ec); }
  bool on_array_end(std::size_t, json::error_code& ec) { return close(']', ec); }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    std::string_view k = whole(key_buffer_, s);
    bool ok = key(k, ec);
    key_buffer_.clear();
    return ok;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    string_buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    token t(kind::string);
    t.text = whole(string_buffer_, s);
    bool ok = dispatch(t, ec);
    string_buffer_.clear();
    return ok;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view s, json::error_code& ec) {
    token t(kind::int64);
    t.i = i;
    return number(t, s, ec);
  }
  bool on_uint64(std::uint64_t u, json::string_view s, json::error_code& ec) {
    token t(kind::uint64);
    t.u = u;
    return number(t, s, ec);
  }
  bool on_double(double d, json::string_view s, json::error_code& ec) {
    token t(kind::real);
    t.d = d;
    return number(t, s, ec);
  }
  bool on_bool(bool b, json::error_code& ec) {
    token t(kind::boolean);
    t.b = b;
    return dispatch(t, ec);
  }
  bool on_null(json::error_code& ec) { return dispatch(token(kind::null), ec); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  // What a member of an element means; one member name can have several meanings.
  struct role {
    std::size_t column = none;     // a selected attribute, spec.columns[column]
    std::size_t target_of = none;  // the lookuplogicalname annotation of a polymorphic lookup
    bool primary = false, etag = false, versionnumber = false, context = false, deleted_id = false, reason = false;
  };
  enum class root_member : std::uint8_t { other, value, next_link, delta_link };
  enum class capture : std::uint8_t { none, json, choices };

  static std::string_view whole(std::string& buffer, json::string_view last) {
    if (buffer.empty()) return {last.data(), last.size()};
    buffer.append(last.data(), last.size());
    return buffer;
  }

  bool fail(json::error_code& ec, std::string message) {
    failure = std::move(message);
    ec = json::error::exception;
    return false;
  }

  bool number(token& t, json::string_view last, json::error_code& ec) {
    t.text = whole(number_buffer_, last);
    bool ok = dispatch(t, ec);
    number_buffer_.clear();
    return ok;
  }

  bool open(token const& t, json::error_code& ec) {
    if (!dispatch(t, ec)) return false;
    ++depth_;
    return true;
  }

  // Depth 0 is outside the page, 1 inside it, 2 inside `value`, 3 inside an element.
  bool close(char c, json::error_code& ec) {
    --depth_;
    if (root_ != root_member::value || depth_ < 2) return true;
    if (depth_ == 2) return finish_element(ec);
    if (capture_ == capture::json) writer_.close(c);
    if (depth_ == 3) finish_capture();
    return true;
  }

  bool key(std::string_view k, json::error_code& ec) {
    if (depth_ == 1) {
      root_ = k == "value"              ? root_member::value
              : k == "@odata.nextLink"  ? root_member::next_link
              : k == "@odata.deltaLink" ? root_member::delta_link
                                        : root_member::other;
      if (root_ == root_member::value) {
        if (value_seen_) return fail(ec, "value appears more than once");
        value_seen_ = true;
      }
    } else if (root_ == root_member::value && depth_ == 3) {
      role_ = role_of(k);
    } else if (capture_ == capture::json) {
      writer_.key(k);
    }
    return true;
  }

  // The elements of a page list their members in the same order: the member at the same place
  // in the previous element is checked first, which spares most hash lookups.
  role role_of(std::string_view k) {
    std::size_t const at = member_++;
    if (at < order_.size() && order_[at].first == k) return order_[at].second;
    auto it = roles_.find(k);
    role r = it == roles_.end() ? role{} : it->second;
    if (at < order_.size()) {
      order_[at].first.assign(k);
      order_[at].second = r;
    } else if (at < max_order) {
      order_.emplace_back(std::string(k), r);
    }
    return r;
  }

  bool dispatch(token const& t, json::error_code& ec) {
    if (depth_ == 0) return t.k == kind::object || fail(ec, "page is not a JSON object");
    if (depth_ == 1) return root_value(t, ec);
    if (root_ != root_member::value) return true;
    if (depth_ == 2) {
      if (t.k != kind::object) return fail(ec, fmt::format("value[{}] is not an object", element_));
      start_element();
      return true;
    }
    // Boost.JSON reads a number beyond the range of double (1e400) as infinity: no Dataverse
    // type reaches that range, so such a page is malformed.
    if (t.k == kind::real && !std::isfinite(t.d))
      return fail(ec, fmt::format("value[{}] has a number out of range", element_));
    if (depth_ == 3)
      member(t);
    else
      nested(t);
    return true;
  }

  bool root_value(token const& t, json::error_code& ec) {
    switch (root_) {
      case root_member::value: return t.k == kind::array || fail(ec, "value is not an array");
      case root_member::next_link:
      case root_member::delta_link: {
        char const* name = root_ == root_member::next_link ? "@odata.nextLink" : "@odata.deltaLink";
        if (t.k != kind::string) return fail(ec, fmt::format("{} is not a string", name));
        (root_ == root_member::next_link ? out.next_link : out.delta_link) = std::string(t.text);
        return true;
      }
      case root_member::other: return true;
    }
    return true;
  }

  void start_element() {
    row_.reset(fields_.size());
    std::fill(problems_.begin(), problems_.end(), problem{});
    role_ = {};
    member_ = 0;
    capture_ = capture::none;
    primary_seen_ = primary_is_string_ = false;
    deleted_context_ = false;
    deleted_id_seen_ = deleted_id_is_string_ = reason_seen_ = false;
    etag_version_.reset();
    versionnumber_.reset();
  }

  // A member of an element: its role decides what its value sets.
  void member(token const& t) {
    if (role_.column != none) column(role_.column, t);
    if (role_.target_of != none)
      row_.set(target_slot_[role_.target_of], t.k == kind::string ? value_view(t.text) : value_view());
    if (role_.primary) {
      primary_seen_ = true;
      primary_is_string_ = t.k == kind::string;
      if (primary_is_string_) primary_.assign(t.text);
    }
    if (role_.etag) etag_version_ = t.k == kind::string ? weak_etag_version(t.text) : std::nullopt;
    if (role_.versionnumber)
      versionnumber_ = t.k == kind::int64 && t.i >= 0 ? std::optional<std::int64_t>(t.i) : std::nullopt;
    if (role_.context) deleted_context_ = t.k == kind::string && t.text.find("$deletedEntity") != std::string_view::npos;
    if (role_.deleted_id) {
      deleted_id_seen_ = true;
      deleted_id_is_string_ = t.k == kind::string;
      if (deleted_id_is_string_) deleted_id_.assign(t.text);
    }
    if (role_.reason) reason_seen_ = true;
  }

  // The value of a selected attribute, converted by its type. A repeated member replaces it.
  void column(std::size_t c, token const& t) {
    auto const type = spec_.columns[c].type;
    std::size_t const slot = value_slot_[c];
    row_.set(slot, {});
    if (exact_slot_[c] != none) row_.set(exact_slot_[c], {});
    problem& p = problems_[c];
    p = {problem::what::wrong_kind, t.k};
    switch (t.k) {
      case kind::null: p = {}; return;
      case kind::object:
      case kind::array:
        if (type == column_type::json) {
          writer_.clear();
          writer_.open(t.k == kind::object ? '{' : '[');
          capture_ = capture::json;
        } else if (type == column_type::choices && t.k == kind::array) {
          writer_.clear();
          choices_ok_ = true;
          capture_ = capture::choices;
        } else {
          return;
        }
        capture_column_ = c;
        p = {};
        return;
      case kind::boolean:
        if (type != column_type::json && type != column_type::boolean) return;
        row_.set(slot, std::int64_t{t.b ? 1 : 0});
        break;
      case kind::int64:
      case kind::uint64:
      case kind::real: number_column(c, type, t, p); return;
      case kind::string: string_column(c, type, t.text, p); return;
    }
    p = {};
  }

  void number_column(std::size_t c, column_type type, token const& t, problem& p) {
    std::size_t const slot = value_slot_[c];
    switch (type) {
      case column_type::json:
        if (t.k == kind::int64)
          row_.set(slot, t.i);
        else if (t.k == kind::uint64)
          row_.set(slot, static_cast<double>(t.u));
        else
          row_.set(slot, nearest_double(t.text).value_or(t.d));
        break;
      case column_type::integer:
      case column_type::choice:
        if (t.k != kind::int64) {
          p.is = t.k == kind::uint64 ? problem::what::beyond_int64 : problem::what::not_whole;
          return;
        }
        row_.set(slot, t.i);
        break;
      case column_type::real:
        row_.set(slot, t.k == kind::int64 ? static_cast<double>(t.i) : nearest_double(t.text).value_or(t.d));
        break;
      case column_type::decimal:
        row_.set(slot, nearest_double(t.text).value_or(t.d));
        row_.set(exact_slot_[c], t.text);
        break;
      default: return;  // wrong kind
    }
    p = {};
  }

  void string_column(std::size_t c, column_type type, std::string_view s, problem& p) {
    std::size_t const slot = value_slot_[c];
    p.is = problem::what::malformed;
    switch (type) {
      case column_type::json:
      case column_type::text: row_.set(slot, s); break;
      case column_type::decimal: {
        if (!is_json_number(s)) return;
        auto d = nearest_double(s);
        if (!d) {
          p.is = problem::what::out_of_range;
          return;
        }
        row_.set(slot, *d);
        row_.set(exact_slot_[c], s);
        break;
      }
      case column_type::datetime: {
        auto text = utc_datetime(s, scratch_);
        if (!text) return;
        row_.set(slot, *text);
        break;
      }
      case column_type::date: {
        auto text = date_only(s);
        if (!text) return;
        row_.set(slot, *text);
        break;
      }
      case column_type::guid:
      case column_type::lookup: {
        char guid[guid_size];
        if (!lower_guid(s, guid)) return;
        row_.set(slot, std::string_view(guid, guid_size));
        break;
      }
      case column_type::choices:
        // The Web API sends a multi-select value as "1,3"; an empty selection as "" or null.
        if (!s.empty()) {
          writer_.clear();
          for (std::size_t from = 0; from <= s.size();) {
            std::size_t to = std::min(s.find(',', from), s.size());
            auto n = to_int64(s.substr(from, to - from));
            if (!n) return;
            choice(*n);
            from = to + 1;
          }
          writer_.close(']');
          row_.set(slot, writer_.text);
        }
        break;
      default: p.is = problem::what::wrong_kind; return;
    }
    p = {};
  }

  void choice(std::int64_t n) {
    if (writer_.text.empty()) writer_.open('[');
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    writer_.literal({digits, static_cast<std::size_t>(end - digits)});
  }

  // A value inside an attribute's object or array.
  void nested(token const& t) {
    if (capture_ == capture::json) {
      switch (t.k) {
        case kind::object: writer_.open('{'); break;
        case kind::array: writer_.open('['); break;
        case kind::string: writer_.string(t.text); break;
        case kind::null: writer_.literal("null"); break;
        case kind::boolean: writer_.literal(t.b ? "true" : "false"); break;
        default: writer_.literal(t.text); break;
      }
    } else if (capture_ == capture::choices) {
      if (depth_ == 4 && t.k == kind::int64)
        choice(t.i);
      else
        choices_ok_ = false;
    }
  }

  void finish_capture() {
    if (capture_ == capture::none) return;
    std::size_t const slot = value_slot_[capture_column_];
    if (capture_ == capture::json) {
      row_.set(slot, writer_.text);
    } else {
      if (!choices_ok_)
        problems_[capture_column_] = {problem::what::malformed, kind::array};
      else if (!writer_.text.empty()) {  // [] is an empty selection: null
        writer_.close(']');
        row_.set(slot, writer_.text);
      }
    }
    capture_ = capture::none;
  }

  bool finish_element(json::error_code& ec) {
    std::size_t const index = element_++;
    if (deleted_context_ || (!primary_seen_ && deleted_id_seen_ && reason_seen_)) {
      if (!deleted_id_is_string_) return fail(ec, fmt::format("value[{}]: deleted entity has no string id", index));
      auto guid = deleted_id(deleted_id_);
      if (!guid) return fail(ec, fmt::format("value[{}]: deleted entity id is not a GUID", index));
      out.deletes.push_back(std::move(*guid));
      return true;
    }
    if (!primary_seen_) return fail(ec, fmt::format("value[{}]: primary key {} is missing", index, spec_.id));
    std::optional<std::string> guid;
    if (primary_is_string_) guid = normalize_guid(primary_);
    if (!guid) return fail(ec, fmt::format("value[{}]: primary key {} is not a GUID", index, spec_.id));

    // A lookup's target and a decimal's digits exist only beside a value.
    for (std::size_t c = 0; c < target_slot_.size(); ++c)
      if (target_slot_[c] != none && row_.is_null(value_slot_[c])) row_.set(target_slot_[c], {});

    if (auto reason = reject_reason()) {
      out.rejects.push_back(rejected{std::move(*guid), {}, std::move(*reason)});
      raw_wanted.emplace_back(index, out.rejects.size() - 1);
      return true;
    }
    record r = row_.compact();
    r.id = std::move(*guid);
    r.version = etag_version_ ? etag_version_ : versionnumber_;
    out.upserts.push_back(std::move(r));
    return true;
  }

  std::optional<std::string> reject_reason() const {
    if (key_column_ != none && !problems_[key_column_]) {
      value_view const key = row_.at(value_slot_[key_column_]);
      if (std::holds_alternative<std::monostate>(key)) return fmt::format("key {} is null", spec_.key);
      if (auto const* s = std::get_if<std::string_view>(&key); s && s->empty())
        return fmt::format("key {} is empty", spec_.key);
    }
    for (std::size_t c = 0; c < problems_.size(); ++c)
      if (problems_[c]) return describe(problems_[c], spec_.columns[c]);
    return std::nullopt;
  }

  config::table_spec const& spec_;
  std::vector<config::field> const fields_;
  std::vector<std::size_t> value_slot_, exact_slot_, target_slot_;  // per column: index in record::columns
  std::vector<std::string> annotations_;
  std::unordered_map<std::string_view, role> roles_;
  static constexpr std::size_t max_order = 1024;         // members remembered per element
  std::vector<std::pair<std::string, role>> order_;  // the previous element's members and roles
  std::size_t key_column_ = none;

  std::size_t depth_ = 0;
  root_member root_ = root_member::other;
  bool value_seen_ = false;
  std::size_t element_ = 0;  // index in value of the element being read

  // The element being read.
  record row_;  // its values as they are read, and the text of replaced ones until compact()
  std::vector<problem> problems_;  // per column
  role role_;
  std::size_t member_ = 0;  // index of the member being read in its element
  std::string primary_, deleted_id_;
  bool primary_seen_ = false, primary_is_string_ = false, deleted_context_ = false;
  bool deleted_id_seen_ = false, deleted_id_is_string_ = false, reason_seen_ = false;
  std::optional<std::int64_t> etag_version_, versionnumber_;
  capture capture_ = capture::none;
  std::size_t capture_column_ = none;
  bool choices_ok_ = false;

  json_writer writer_;
  std::string key_buffer_, string_buffer_, number_buffer_;
  std::string scratch_;  // a date and time converted to UTC
};

// A second pass, only for a page with rejects: the raw JSON of the rejected elements, written from
// the parser's events (numbers keep their digits). The first pass has checked the page's shape.
class raw_elements {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  raw_elements(std::vector<std::pair<std::size_t, std::size_t>> const& wanted, std::vector<rejected>& rejects)
      : wanted_(wanted), rejects_(rejects) {}

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return open('{'); }
  bool on_object_end(std::size_t, json::error_code&) { return close('}'); }
  bool on_array_begin(json::error_code&) { return open('['); }
  bool on_array_end(std::size_t, json::error_code&) { return close(']'); }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    std::string_view k = whole(s);
    if (depth_ == 1) in_value_ = k == "value";
    if (capturing_) writer_.key(k);
    buffer_.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (capturing_) writer_.string(whole(s));
    buffer_.clear();
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t, json::string_view s, json::error_code&) { return literal(whole(s)); }
  bool on_uint64(std::uint64_t, json::string_view s, json::error_code&) { return literal(whole(s)); }
  bool on_double(double, json::string_view s, json::error_code&) { return literal(whole(s)); }
  bool on_bool(bool b, json::error_code&) { return literal(b ? "true" : "false"); }
  bool on_null(json::error_code&) { return literal("null"); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::string_view whole(json::string_view last) {
    if (buffer_.empty()) return {last.data(), last.size()};
    buffer_.append(last.data(), last.size());
    return buffer_;
  }
  bool open(char c) {
    if (depth_ == 2 && in_value_ && next_ < wanted_.size() && wanted_[next_].first == element_) {
      capturing_ = true;
      writer_.clear();
    }
    if (capturing_) writer_.open(c);
    ++depth_;
    return true;
  }
  bool close(char c) {
    --depth_;
    if (capturing_) writer_.close(c);
    if (depth_ == 2 && in_value_) {
      if (capturing_) rejects_[wanted_[next_++].second].raw_json = writer_.text;
      capturing_ = false;
      ++element_;
    }
    return true;
  }
  bool literal(std::string_view s) {
    if (capturing_) writer_.literal(s);
    buffer_.clear();
    return true;
  }

  std::vector<std::pair<std::size_t, std::size_t>> const& wanted_;
  std::vector<rejected>& rejects_;
  std::size_t depth_ = 0;
  bool in_value_ = false;
  std::size_t element_ = 0;
  std::size_t next_ = 0;  // in wanted_
  bool capturing_ = false;
  json_writer writer_;
  std::string buffer_;
};

// Runs a handler over the whole body: the consumed size, or the parser's error.
template <class Handler>
json::error_code run(json::basic_parser<Handler>& parser, std::string_view body, std::size_t& consumed) {
  json::error_code ec;
  consumed = parser.write_some(false, body.data(), body.size(), ec);
  if (!ec && consumed < body.size()) ec = json::error::extra_data;
  return ec;
}

}  // namespace

core::result<page> parse_page(std::string_view body, config::table_spec const& spec) {
  json::basic_parser<page_reader> parser(json::parse_options{}, spec);
  std::size_t consumed = 0;
  json::error_code ec = run(parser, body, consumed);
  page_reader& reader = parser.handler();
  if (reader.failure) return protocol(std::move(*reader.failure));
  if (ec) {
    if (auto bad = first_invalid_utf8(body); bad && *bad <= consumed)
      return protocol(fmt::format("invalid UTF-8 at offset {} (the page must be UTF-8 JSON)", *bad));
    return protocol(fmt::format("invalid JSON at offset {}: {}", consumed, ec.message()));
  }

  page out = std::move(reader.out);
  if (!reader.raw_wanted.empty()) {
    json::basic_parser<raw_elements> again(json::parse_options{}, reader.raw_wanted, out.rejects);
    if (run(again, body, consumed)) return protocol("a rejected element could not be read again");
  }
  return out;
}

}  // namespace dvsync::dataverse
