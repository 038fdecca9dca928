#include "store/record_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <variant>

namespace dvsync::store {
namespace {

void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_value(std::string& out, dataverse::value_view v) {
  if (auto const* i = std::get_if<std::int64_t>(&v))
    out += fmt::format("{}", *i);
  else if (auto const* d = std::get_if<double>(&v))
    out += std::isfinite(*d) ? fmt::format("{}", *d) : "null";
  else if (auto const* s = std::get_if<std::string_view>(&v))
    append_string(out, *s);
  else
    out += "null";
}

}  // namespace

std::string record_json(config::table_spec const& spec, dataverse::record const& r) {
  std::string out = "{";
  append_string(out, spec.id);
  out.push_back(':');
  append_string(out, r.id);
  auto const fields = config::fields_of(spec);
  for (std::size_t i = 0; i < fields.size() && i < r.size(); ++i) {
    if (fields[i].name == spec.id) continue;
    out.push_back(',');
    append_string(out, fields[i].name);
    out.push_back(':');
    append_value(out, r.at(i));
  }
  out.push_back('}');
  return out;
}

}  // namespace dvsync::store
