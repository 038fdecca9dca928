#include "query.hpp"

#include <algorithm>

#include "url.hpp"

namespace emulator {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

result<query_options> parse_query_options(std::string_view raw_query) {
  auto pairs = parse_query(raw_query);
  if (!pairs) return pairs.error();
  query_options q;
  for (auto& [name, value] : *pairs) {
    if (name.empty() || name.front() != '$') continue;
    std::optional<std::string>* slot = nullptr;
    if (name == "$select")
      slot = &q.select;
    else if (name == "$filter")
      slot = &q.filter;
    else if (name == "$orderby")
      slot = &q.orderby;
    else if (name == "$expand")
      slot = &q.expand;
    else if (name == "$top")
      slot = &q.top;
    else if (name == "$skiptoken")
      slot = &q.skiptoken;
    else if (name == "$deltatoken")
      slot = &q.deltatoken;
    else if (name == "$count")
      slot = &q.count;
    else
      return errors::bad_request("The query parameter '" + name + "' is not supported.");
    if (*slot)
      return errors::bad_request("Query option '" + name +
                                 "' was specified more than once, but it must be specified at most once.");
    *slot = std::move(value);
  }
  return q;
}

result<selection> parse_select(table_schema const& t, std::optional<std::string> const& select) {
  selection s;
  std::string_view rest = select ? trim(*select) : std::string_view{};
  if (rest.empty()) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) s.items.push_back({selected_kind::column, i});
    s.items.push_back({selected_kind::versionnumber});
    s.items.push_back({selected_kind::createdon});
    s.items.push_back({selected_kind::modifiedon});
    s.items.push_back({selected_kind::primary_id});
    return s;
  }
  std::vector<std::string_view> seen;
  bool has_primary = false;
  while (true) {
    auto const comma = rest.find(',');
    std::string_view const name = trim(rest.substr(0, comma));
    selected_item item;
    if (auto const c = t.column_by_wire_name(name))
      item = {selected_kind::column, *c};
    else if (name == t.primary_id)
      item = {selected_kind::primary_id};
    else if (name == "versionnumber")
      item = {selected_kind::versionnumber};
    else if (name == "createdon")
      item = {selected_kind::createdon};
    else if (name == "modifiedon")
      item = {selected_kind::modifiedon};
    else
      return errors::unknown_property(name, t.logical_name);
    if (std::find(seen.begin(), seen.end(), name) == seen.end()) {
      seen.push_back(name);
      s.items.push_back(item);
      if (!s.text.empty()) s.text += ',';
      s.text += name;
      has_primary = has_primary || item.kind == selected_kind::primary_id;
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  // A currency column brings the row's currency along: the documented $select=name,revenue answer
  // carries _transactioncurrencyid_value although it was not asked for.
  bool money = false, currency = false;
  for (auto const& item : s.items) {
    if (item.kind != selected_kind::column) continue;
    money = money || t.columns[item.column].type == column_type::money;
    currency = currency || t.columns[item.column].name == "transactioncurrencyid";
  }
  if (money && !currency)
    if (auto const c = t.column_by_name("transactioncurrencyid"); c && t.columns[*c].is_lookup())
      s.items.push_back({selected_kind::column, *c});
  // "The primary key property is always returned" (reference §1.6); the documented responses put
  // it last.
  if (!has_primary) s.items.push_back({selected_kind::primary_id});
  return s;
}

}  // namespace emulator
