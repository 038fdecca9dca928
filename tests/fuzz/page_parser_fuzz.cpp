// The OData page parser on arbitrary bodies. Besides "no crash, no leak, no undefined behaviour",
// a page it accepts must already be in the shape the store relies on: lower-case GUIDs, one value
// per field, a key on every upsert, values of each column's type, and rejects whose raw JSON is
// valid JSON again. Each body is read through an untyped spec and through typed specs that reuse
// the same member names (those of the dictionary and the corpus), so that every column type meets
// every kind of value.
#include "dataverse/page_parser.hpp"
#include "require.hpp"

#include <boost/json/parse.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using namespace dvsync;
using config::column_type;
using fuzz::require;

std::vector<config::table_spec> const& specs() {
  auto book = [](std::string key, column_type name, column_type code, column_type author, bool poly = false) {
    return config::table_spec{"sample_books",
                              "sample_book",
                              "sample_bookid",
                              std::move(key),
                              {{"sample_name", "sample_name", name},
                               {"sample_bookcode", "sample_bookcode", code},
                               {"sample_author", "sample_author", author, poly}},
                              "sample_book"};
  };
  static std::vector<config::table_spec> const all{
      book("sample_bookcode", column_type::json, column_type::json, column_type::json),
      book("sample_bookcode", column_type::decimal, column_type::text, column_type::lookup, true),
      book("", column_type::datetime, column_type::choices, column_type::date),
      book("sample_bookcode", column_type::guid, column_type::integer, column_type::real),
      book("", column_type::boolean, column_type::choice, column_type::lookup),
  };
  return all;
}

bool is_lower_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_null(dataverse::value_view v) { return std::holds_alternative<std::monostate>(v); }

// The value of one field is of the kind its type stores.
void check_field(config::field const& f, dataverse::value_view v, dataverse::value_view of_column) {
  if (is_null(v)) return;
  auto const* s = std::get_if<std::string_view>(&v);
  if (f.of == config::field::part::exact) {
    require(s && !is_null(of_column), "exact digits only beside a decimal");
    boost::system::error_code ec;
    auto n = boost::json::parse(*s, ec);
    require(!ec && n.is_number(), "exact digits are a JSON number");
    return;
  }
  if (f.of == config::field::part::target) {
    require(s && !is_null(of_column), "a target only beside a lookup");
    return;
  }
  switch (f.type) {
    case column_type::json: break;
    case column_type::text: require(s, "text is a string"); break;
    case column_type::integer:
    case column_type::choice: require(std::holds_alternative<std::int64_t>(v), "an integer"); break;
    case column_type::boolean: {
      auto const* i = std::get_if<std::int64_t>(&v);
      require(i && (*i == 0 || *i == 1), "a boolean is 0 or 1");
      break;
    }
    case column_type::real:
    case column_type::decimal: {
      auto const* d = std::get_if<double>(&v);
      require(d && std::isfinite(*d), "a finite real");
      break;
    }
    case column_type::datetime:
      require(s && s->size() >= 20 && (*s)[10] == 'T' && s->back() == 'Z', "a UTC date and time");
      break;
    case column_type::date: require(s && s->size() == 10 && (*s)[4] == '-' && (*s)[7] == '-', "a date"); break;
    case column_type::guid:
    case column_type::lookup: require(s && is_lower_guid(*s), "a lower-case GUID"); break;
    case column_type::choices: {
      require(s != nullptr, "choices are text");
      boost::system::error_code ec;
      auto a = boost::json::parse(*s, ec);
      require(!ec && a.is_array() && !a.get_array().empty(), "choices are a non-empty JSON array");
      for (auto const& n : a.get_array()) require(n.is_int64(), "choices are integers");
      break;
    }
  }
}

void check(std::string_view body, config::table_spec const& spec) {
  auto page = dataverse::parse_page(body, spec);
  if (!page) {
    require(page.error().code == core::errc::protocol, "a refused page is a protocol error");
    // The message goes to logs and status; it must stay a short diagnostic, never the body.
    require(!page.error().message.empty() && page.error().message.size() < 200, "refusal message is short");
    return;
  }
  auto const fields = config::fields_of(spec);
  std::size_t key = fields.size();
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (!spec.key.empty() && fields[i].name == spec.key) key = i;
  for (auto const& r : page->upserts) {
    require(is_lower_guid(r.id), "upsert id is a lower-case GUID");
    require(r.size() == fields.size(), "one value per field");
    if (key < fields.size()) {
      require(!is_null(r.at(key)), "an upsert has a key");
      auto const k = r.at(key);
      if (auto const* text = std::get_if<std::string_view>(&k)) require(!text->empty(), "an upsert key is not empty");
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
      std::size_t value_of_column = i;
      while (fields[value_of_column].of != config::field::part::value) --value_of_column;
      check_field(fields[i], r.at(i), r.at(value_of_column));
    }
    require(!r.version || *r.version >= 0, "versions are not negative");
  }
  for (auto const& id : page->deletes) require(is_lower_guid(id), "delete id is a lower-case GUID");
  for (auto const& r : page->rejects) {
    require(is_lower_guid(r.id), "reject id is a lower-case GUID");
    require(r.reason.starts_with("key ") || r.reason.starts_with("attribute "), "reject reason");
    require(r.reason != "key sample_bookcode is null" || key < fields.size(), "only a keyed table rejects a null key");
    boost::system::error_code ec;
    auto raw = boost::json::parse(r.raw_json, ec);
    require(!ec && raw.is_object(), "a reject's raw JSON parses back to an object");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view body(reinterpret_cast<char const*>(data), size);
  for (auto const& spec : specs()) check(body, spec);
  return 0;
}
