#include "address.hpp"

#include <algorithm>

namespace emulator {
namespace {

api_error syntax(std::string_view segment) {
  return errors::bad_request("Bad Request - Error in query syntax: '" + std::string(segment) + "'.");
}

}  // namespace

result<resource_segment> parse_segment(std::string_view segment) {
  resource_segment r;
  auto const open = segment.find('(');
  r.name = std::string(segment.substr(0, open));
  if (open == std::string_view::npos) return r;
  if (segment.back() != ')') return syntax(segment);
  r.has_key = true;
  std::string_view body = segment.substr(open + 1, segment.size() - open - 2);
  std::size_t i = 0;
  while (i <= body.size()) {
    key_part part;
    // An optional "name=" before the literal.
    std::size_t j = i;
    while (j < body.size() && body[j] != '=' && body[j] != ',' && body[j] != '\'') ++j;
    if (j < body.size() && body[j] == '=') {
      part.name = std::string(body.substr(i, j - i));
      if (part.name.empty()) return syntax(segment);
      i = j + 1;
    }
    if (i < body.size() && body[i] == '\'') {
      part.quoted = true;
      ++i;
      while (true) {
        if (i >= body.size()) return syntax(segment);
        if (body[i] == '\'') {
          if (i + 1 < body.size() && body[i + 1] == '\'') {
            part.value.push_back('\'');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        part.value.push_back(body[i++]);
      }
    } else {
      std::size_t const end = std::min(body.find(',', i), body.size());
      part.value = std::string(body.substr(i, end - i));
      if (part.value.empty()) return syntax(segment);
      i = end;
    }
    r.parts.push_back(std::move(part));
    if (i == body.size()) break;
    if (body[i] != ',') return syntax(segment);
    ++i;
  }
  return r;
}

result<row_address> resolve_address(table_schema const& t, std::vector<key_part> const& parts,
                                    codec_options const& codec) {
  row_address a;
  if (parts.size() == 1 && (parts[0].name.empty() || parts[0].name == t.primary_id)) {
    auto const id = parts[0].quoted ? std::nullopt : guid::parse(parts[0].value);
    if (!id) return errors::invalid_key(t.logical_name);
    a.id = id;
    return a;
  }
  for (auto const& p : parts)
    if (p.name.empty()) return errors::invalid_key(t.logical_name);
  for (std::size_t k = 0; k < t.keys.size(); ++k) {
    auto const& key = t.keys[k];
    if (key.columns.size() != parts.size()) continue;
    std::vector<std::string> texts(key.columns.size());
    bool matches = true;
    for (auto const& p : parts) {
      auto const col = t.column_by_name(p.name);
      auto const pos = col ? std::find(key.columns.begin(), key.columns.end(), *col) : key.columns.end();
      if (pos == key.columns.end() || !texts[static_cast<std::size_t>(pos - key.columns.begin())].empty()) {
        matches = false;
        break;
      }
      if (p.quoted && p.value.empty() && codec.empty_string_as_null)
        return errors::bad_request("A key value of '" + t.logical_name + "' cannot be empty.");
      auto text = encode_key_literal(t, t.columns[*col], p.value, p.quoted);
      if (!text) return text.error();
      texts[static_cast<std::size_t>(pos - key.columns.begin())] = std::move(*text);
    }
    if (!matches) continue;
    a.key = k;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (i > 0) a.composite.push_back('\x1f');
      a.composite += texts[i];
      a.values.emplace_back(key.columns[i], texts[i]);
    }
    return a;
  }
  return errors::invalid_key(t.logical_name);
}

}  // namespace emulator
