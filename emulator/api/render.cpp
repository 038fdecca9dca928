#include "render.hpp"

#include "cells.hpp"
#include "json_text.hpp"

namespace emulator {

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
      case selected_kind::column:
        out += t.columns[item.column].wire_name;
        out += "\":";
        out += scratch.cells[item.column];
        break;
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
        out += "createdon\":\"";
        append_iso_time(out, r.created_on);
        out.push_back('"');
        break;
      case selected_kind::modifiedon:
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
