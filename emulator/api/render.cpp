#include "render.hpp"

#include "cells.hpp"
#include "decimal_text.hpp"
#include "json_text.hpp"
#include "store.hpp"

namespace emulator {
namespace {

std::string_view unquote(std::string_view cell) {
  return cell.size() >= 2 && cell.front() == '"' ? cell.substr(1, cell.size() - 2) : cell;
}

// The text of a stored JSON string (escapes as append_json_string writes them).
std::string unescape(std::string_view quoted_text) {
  std::string_view const s = unquote(quoted_text);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char const e = s[++i];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u':
        if (i + 4 < s.size()) {
          out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 4)), nullptr, 16)));
          i += 4;
        }
        break;
      default: out.push_back(e);
    }
  }
  return out;
}

std::string option_label(column const& c, std::string_view cell) {
  if (c.type == column_type::multiselect) {
    // "Swimming; Camping": the documented formatted value of a choices column.
    std::string labels;
    std::string_view rest = unquote(cell);
    while (!rest.empty()) {
      auto const comma = rest.find(',');
      int const v = std::stoi(std::string(rest.substr(0, comma)));
      if (auto const* o = c.options->find(v)) labels += (labels.empty() ? "" : "; ") + o->label;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return labels;
  }
  auto const* o = c.options->find(std::stoi(std::string(cell)));
  return o ? o->label : std::string();
}

// The primary name of the row a lookup points at, when the emulator holds that table.
std::optional<std::string> target_name(store const* db, column const& c, std::string_view cell,
                                       std::string_view target_logical) {
  if (!db) return std::nullopt;
  for (auto const& t : c.targets) {
    if (t.logical_name != target_logical) continue;
    table const* target = db->find(t.entity_set);
    if (!target || target->schema().primary_name.empty()) return std::nullopt;
    auto const id = guid::parse(unquote(cell));
    row const* r = id ? target->find(*id) : nullptr;
    if (!r) return std::nullopt;
    auto const name_column = target->schema().column_by_name(target->schema().primary_name);
    std::vector<std::string_view> cells;
    unpack_cells(r->cells, cells);
    std::string_view const name = cells[*name_column];
    if (name == null_cell) return std::nullopt;
    return unescape(name);
  }
  return std::nullopt;
}

std::optional<std::string> formatted_value(column const& c, std::string_view cell, std::string_view extra,
                                           store const* db) {
  switch (c.type) {
    case column_type::picklist:
    case column_type::state:
    case column_type::status:
    case column_type::multiselect:
      return option_label(c, cell);
    case column_type::boolean:
      return cell == "true" ? c.true_label : c.false_label;
    case column_type::money:
      if (cell.front() == '-') return "-$" + group_thousands(cell.substr(1), 2);
      return "$" + group_thousands(cell, 2);
    case column_type::integer:
    case column_type::bigint:
      return group_thousands(cell, 0);
    case column_type::decimal:
    case column_type::double_:
      return group_thousands(cell, c.precision);
    case column_type::datetime: {
      auto const seconds = parse_iso_time(unquote(cell));
      if (!seconds) return std::nullopt;
      return formatted_time(*seconds, c.date_only_format);
    }
    case column_type::lookup:
    case column_type::customer:
    case column_type::owner:
      return target_name(db, c, cell, extra);
    default:
      return std::nullopt;
  }
}

void append_annotation(std::string& out, std::string_view property, std::string_view term, std::string_view value) {
  out += ",\"";
  out += property;
  out += '@';
  out += term;
  out += "\":";
  append_json_string(out, value);
}

// Instance annotations go right before the property they annotate, as in the documented responses.
void append_column_annotations(std::string& out, column const& c, std::string_view cell, std::string_view extra,
                               render_scratch const& scratch) {
  auto const& a = scratch.annotations;
  if (a.formatted_value) {
    if (auto const f = formatted_value(c, cell, extra, scratch.db))
      append_annotation(out, c.wire_name, "OData.Community.Display.V1.FormattedValue", *f);
  }
  if (!c.is_lookup()) return;
  if (a.navigation_property) {
    // A lookup of several targets has one navigation property per target, <name>_<target>.
    bool const several = c.targets.size() > 1 && c.type != column_type::owner;
    append_annotation(out, c.wire_name, "Microsoft.Dynamics.CRM.associatednavigationproperty",
                      several ? c.name + "_" + std::string(extra) : c.name);
  }
  if (a.lookup_logical_name) append_annotation(out, c.wire_name, "Microsoft.Dynamics.CRM.lookuplogicalname", extra);
}

}  // namespace

void append_record(std::string& out, table_schema const& t, guid id, row const& r, selection const& sel,
                   render_scratch& scratch, std::string_view prefix) {
  unpack_cells(r.cells, scratch.cells);
  out.push_back('{');
  out += prefix;
  out += R"("@odata.etag":"W/\")";
  append_int(out, r.version);
  out += R"(\"")";
  for (auto const& item : sel.items) {
    out += ",\"";
    switch (item.kind) {
      case selected_kind::column: {
        auto const& c = t.columns[item.column];
        std::string_view cell = scratch.cells[item.column];
        std::string_view extra;
        if (c.is_lookup()) {
          extra = cell_extra(cell);
          cell = cell_json(cell);
        }
        if (scratch.annotations.any() && cell != null_cell) {
          out.pop_back();
          out.pop_back();
          append_column_annotations(out, c, cell, extra, scratch);
          out += ",\"";
        }
        out += c.wire_name;
        out += "\":";
        out += cell;
        break;
      }
      case selected_kind::primary_id:
        out += t.primary_id;
        out += "\":\"";
        id.append_to(out);
        out.push_back('"');
        break;
      case selected_kind::versionnumber:
        out += "versionnumber\":";
        append_int(out, r.version);
        break;
      case selected_kind::createdon:
        if (scratch.annotations.formatted_value) {
          out.pop_back();
          out.pop_back();
          append_annotation(out, "createdon", "OData.Community.Display.V1.FormattedValue",
                            formatted_time(r.created_on, false));
          out += ",\"";
        }
        out += "createdon\":\"";
        append_iso_time(out, r.created_on);
        out.push_back('"');
        break;
      case selected_kind::modifiedon:
        if (scratch.annotations.formatted_value) {
          out.pop_back();
          out.pop_back();
          append_annotation(out, "modifiedon", "OData.Community.Display.V1.FormattedValue",
                            formatted_time(r.modified_on, false));
          out += ",\"";
        }
        out += "modifiedon\":\"";
        append_iso_time(out, r.modified_on);
        out.push_back('"');
        break;
    }
  }
  out.push_back('}');
}

void append_deleted(std::string& out, std::string_view service_root, std::string_view entity_set, guid id) {
  out += R"({"@odata.context":")";
  out += service_root;
  out += "/$metadata#";
  out += entity_set;
  out += R"(/$deletedEntity","id":")";
  id.append_to(out);
  out += R"(","reason":"deleted"})";
}

std::string context_url(std::string_view service_root, std::string_view entity_set, selection const& sel,
                        std::string_view suffix) {
  std::string s(service_root);
  s += "/$metadata#";
  s += entity_set;
  if (!sel.text.empty()) {
    s += '(';
    s += sel.text;
    s += ')';
  }
  s += suffix;
  return s;
}

std::string collection_link(std::string_view service_root, std::string_view entity_set, selection const& sel,
                            std::string_view option, std::string_view encoded_value) {
  std::string s(service_root);
  s += '/';
  s += entity_set;
  s += '?';
  if (!sel.text.empty()) {
    s += "$select=";
    s += sel.text;
    s += '&';
  }
  s += option;
  s += '=';
  s += encoded_value;
  return s;
}

std::string entity_id_url(std::string_view service_root, std::string_view entity_set, guid id) {
  std::string s(service_root);
  s += '/';
  s += entity_set;
  s += '(';
  id.append_to(s);
  s += ')';
  return s;
}

}  // namespace emulator
