#include "paging.hpp"

#include <charconv>
#include <utility>
#include <vector>

#include "json_text.hpp"
#include "url.hpp"

namespace emulator {
namespace {

struct xml_tag {
  std::string_view name;
  std::vector<std::pair<std::string_view, std::string_view>> attributes;
  bool self_closing = false;
  bool closing = false;

  std::optional<std::string_view> attribute(std::string_view n) const {
    for (auto const& [k, v] : attributes)
      if (k == n) return v;
    return std::nullopt;
  }
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void skip_spaces(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

std::string_view read_name(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && is_name_char(s[n])) ++n;
  std::string_view const name = s.substr(0, n);
  s.remove_prefix(n);
  return name;
}

// Reads one tag of the small XML dialect the cookies use: attributes in double quotes, no
// entities, no text content.
std::optional<xml_tag> read_tag(std::string_view& s) {
  skip_spaces(s);
  if (s.empty() || s.front() != '<') return std::nullopt;
  s.remove_prefix(1);
  xml_tag tag;
  if (!s.empty() && s.front() == '/') {
    tag.closing = true;
    s.remove_prefix(1);
  }
  tag.name = read_name(s);
  if (tag.name.empty()) return std::nullopt;
  while (true) {
    skip_spaces(s);
    if (s.empty()) return std::nullopt;
    if (s.front() == '>') {
      s.remove_prefix(1);
      return tag;
    }
    if (s.substr(0, 2) == "/>" && !tag.closing) {
      s.remove_prefix(2);
      tag.self_closing = true;
      return tag;
    }
    if (tag.closing) return std::nullopt;
    std::string_view const name = read_name(s);
    if (name.empty() || s.substr(0, 2) != "=\"") return std::nullopt;
    s.remove_prefix(2);
    auto const end = s.find('"');
    if (end == std::string_view::npos) return std::nullopt;
    tag.attributes.emplace_back(name, s.substr(0, end));
    s.remove_prefix(end + 1);
  }
}

std::optional<std::int64_t> to_int(std::optional<std::string_view> s) {
  if (!s || s->empty()) return std::nullopt;
  std::int64_t v = 0;
  auto const r = std::from_chars(s->data(), s->data() + s->size(), v);
  if (r.ec != std::errc{} || r.ptr != s->data() + s->size()) return std::nullopt;
  return v;
}

void attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  out += value;
  out += '"';
}

void attribute(std::string& out, std::string_view name, std::int64_t value) {
  attribute(out, name, std::to_string(value));
}

std::string braced(guid const& g) {
  std::string s;
  g.append_braced_upper(s);
  return s;
}

api_error bad_skiptoken() {
  return errors::bad_request("The $skiptoken is not valid for this request.");
}

}  // namespace

std::string encode_skiptoken(page_cursor const& c, table_schema const& t) {
  std::string inner = "<cookie";
  attribute(inner, "page", c.page_number - 1);
  attribute(inner, "size", c.page_size);
  if (c.kind == cursor_kind::delta) {
    attribute(inner, "fromversion", c.from_version);
    attribute(inner, "fromtime", c.from_time);
  }
  if (c.kind != cursor_kind::plain) {
    attribute(inner, "tokenversion", c.token_version);
    attribute(inner, "tokentime", c.token_time);
  }
  if (c.kind == cursor_kind::delta) attribute(inner, "phase", c.phase == delta_phase::changes ? "changes" : "deletes");
  inner += "><";
  inner += t.primary_id;
  if (c.kind == cursor_kind::delta) {
    attribute(inner, "lastversion", c.last_version);
  } else {
    attribute(inner, "last", braced(c.last_id));
    attribute(inner, "first", braced(c.first_id));
  }
  inner += " /></cookie>";

  std::string outer = "<cookie";
  attribute(outer, "pagenumber", c.page_number);
  attribute(outer, "pagingcookie", percent_encode(inner, "-._", false));
  attribute(outer, "istracking", c.kind == cursor_kind::plain ? "False" : "True");
  outer += " />";
  return percent_encode(outer, "=-._/", true);
}

result<page_cursor> decode_skiptoken(std::string_view value, table_schema const& t) {
  std::string_view rest = value;
  auto const outer = read_tag(rest);
  skip_spaces(rest);
  if (!outer || outer->name != "cookie" || !outer->self_closing || !rest.empty()) return bad_skiptoken();
  auto const page_number = to_int(outer->attribute("pagenumber"));
  auto const tracking = outer->attribute("istracking");
  auto const encoded_inner = outer->attribute("pagingcookie");
  if (!page_number || *page_number < 2 || *page_number > 1000000000 || !tracking || !encoded_inner)
    return bad_skiptoken();
  if (*tracking != "True" && *tracking != "False") return bad_skiptoken();
  auto const inner_text = percent_decode(*encoded_inner, false);
  if (!inner_text) return bad_skiptoken();

  std::string_view inner = *inner_text;
  auto const head = read_tag(inner);
  auto const position = read_tag(inner);
  auto const tail = read_tag(inner);
  skip_spaces(inner);
  if (!head || !position || !tail || !inner.empty()) return bad_skiptoken();
  if (head->name != "cookie" || head->self_closing || head->closing || !tail->closing || tail->name != "cookie")
    return bad_skiptoken();
  // The position element is named after the table's primary key: a cookie of another table fails.
  if (position->name != t.primary_id || !position->self_closing) return bad_skiptoken();

  page_cursor c;
  c.page_number = static_cast<int>(*page_number);
  auto const page = to_int(head->attribute("page"));
  auto const size = to_int(head->attribute("size"));
  if (!page || *page != *page_number - 1 || !size || *size < 1 || *size > 1000000) return bad_skiptoken();
  c.page_size = static_cast<int>(*size);

  bool const is_delta = head->attribute("fromversion").has_value();
  c.kind = *tracking == "False" ? cursor_kind::plain : is_delta ? cursor_kind::delta : cursor_kind::initial;
  if (c.kind == cursor_kind::plain && is_delta) return bad_skiptoken();
  if (c.kind != cursor_kind::plain) {
    auto const tv = to_int(head->attribute("tokenversion"));
    auto const tt = to_int(head->attribute("tokentime"));
    if (!tv || !tt || *tv < 0) return bad_skiptoken();
    c.token_version = *tv;
    c.token_time = *tt;
  }
  if (c.kind == cursor_kind::delta) {
    auto const fv = to_int(head->attribute("fromversion"));
    auto const ft = to_int(head->attribute("fromtime"));
    auto const phase = head->attribute("phase");
    auto const last = to_int(position->attribute("lastversion"));
    if (!fv || !ft || !phase || !last || *fv < 0 || *fv > c.token_version) return bad_skiptoken();
    if (*phase != "changes" && *phase != "deletes") return bad_skiptoken();
    c.from_version = *fv;
    c.from_time = *ft;
    c.phase = *phase == "changes" ? delta_phase::changes : delta_phase::deletes;
    c.last_version = *last;
    if (c.last_version < c.from_version || c.last_version > c.token_version) return bad_skiptoken();
  } else {
    auto const last = position->attribute("last");
    auto const first = position->attribute("first");
    auto const last_id = last ? guid::parse(*last) : std::nullopt;
    auto const first_id = first ? guid::parse(*first) : std::nullopt;
    if (!last_id || !first_id) return bad_skiptoken();
    c.last_id = *last_id;
    c.first_id = *first_id;
  }
  return c;
}

std::string encode_deltatoken(delta_token const& d) {
  return percent_encode(std::to_string(d.version) + "!" + token_time(d.time), "", false);
}

std::optional<delta_token> decode_deltatoken(std::string_view value) {
  auto const bang = value.find('!');
  if (bang == std::string_view::npos) return std::nullopt;
  auto const version = to_int(value.substr(0, bang));
  auto const time = parse_token_time(value.substr(bang + 1));
  if (!version || *version < 0 || !time) return std::nullopt;
  return delta_token{*version, *time};
}

}  // namespace emulator
