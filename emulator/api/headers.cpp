#include "headers.hpp"

#include <charconv>
#include <vector>

namespace emulator {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits on `sep` outside double quotes.
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"' && (i == 0 || s[i - 1] != '\\')) quoted = !quoted;
    if (s[i] == sep && !quoted) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string_view unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::optional<std::string_view> find_header(http_request const& r, std::string_view name) {
  for (auto const& [k, v] : r.headers)
    if (iequals(k, name)) return trim(v);
  return std::nullopt;
}

preferences parse_prefer(http_request const& r) {
  preferences p;
  for (auto const& [k, v] : r.headers) {
    if (!iequals(k, "Prefer")) continue;
    for (std::string_view pref : split_unquoted(v, ',')) {
      // Parameters after ';' qualify a preference; none of ours take any.
      pref = trim(split_unquoted(pref, ';').front());
      auto const eq = pref.find('=');
      std::string_view const name = trim(pref.substr(0, eq));
      std::string_view const value =
          eq == std::string_view::npos ? std::string_view{} : unquote(trim(pref.substr(eq + 1)));
      if (iequals(name, "odata.track-changes")) {
        p.track_changes = true;
      } else if (iequals(name, "odata.maxpagesize")) {
        int n = 0;
        auto const res = std::from_chars(value.data(), value.data() + value.size(), n);
        if (res.ec == std::errc{} && res.ptr == value.data() + value.size() && n > 0) p.max_page_size = n;
      } else if (iequals(name, "odata.include-annotations")) {
        p.include_annotations = std::string(value);
      } else if (iequals(name, "return") && iequals(value, "representation")) {
        p.return_representation = true;
      }
    }
  }
  return p;
}

annotation_prefs parse_annotation_prefs(std::string_view value) {
  auto matches = [](std::string_view pattern, std::string_view name) {
    if (pattern == "*") return true;
    if (pattern.size() > 2 && pattern.substr(pattern.size() - 2) == ".*")
      return name.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
    return iequals(pattern, name);
  };
  auto wanted = [&](std::string_view name) {
    bool included = false;
    for (std::string_view term : split_unquoted(value, ',')) {
      term = trim(term);
      if (!term.empty() && term.front() == '-') {
        if (matches(term.substr(1), name)) return false;
      } else if (matches(term, name)) {
        included = true;
      }
    }
    return included;
  };
  annotation_prefs a;
  a.formatted_value = wanted("OData.Community.Display.V1.FormattedValue");
  a.lookup_logical_name = wanted("Microsoft.Dynamics.CRM.lookuplogicalname");
  a.navigation_property = wanted("Microsoft.Dynamics.CRM.associatednavigationproperty");
  return a;
}

}  // namespace emulator
