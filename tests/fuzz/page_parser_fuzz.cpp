// The OData page parser on arbitrary bodies. Besides "no crash, no leak, no undefined behaviour",
// a page it accepts must already be in the shape the store relies on: lower-case GUIDs, one value
// per configured column, a key on every upsert, and rejects whose raw JSON is valid JSON again.
#include "dataverse/page_parser.hpp"
#include "require.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

namespace {

using namespace dvsync;
using fuzz::require;

config::table_spec const& sample_book() {
  static config::table_spec const spec{"sample_books", "sample_book", "sample_bookid", "sample_bookcode",
                                       {"sample_name", "sample_bookcode", "sample_author"}};
  return spec;
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view body(reinterpret_cast<char const*>(data), size);
  auto const& spec = sample_book();
  auto page = dataverse::parse_page(body, spec);
  if (!page) {
    require(page.error().code == core::errc::protocol, "a refused page is a protocol error");
    // The message goes to logs and status; it must stay a short diagnostic, never the body.
    require(!page.error().message.empty() && page.error().message.size() < 200, "refusal message is short");
    return 0;
  }
  for (auto const& r : page->upserts) {
    require(is_lower_guid(r.id), "upsert id is a lower-case GUID");
    require(r.columns.size() == spec.columns.size(), "one value per configured column");
    auto const& key = r.columns[1];
    require(!std::holds_alternative<std::monostate>(key), "an upsert has a key");
    if (auto const* text = std::get_if<std::string>(&key)) require(!text->empty(), "an upsert key is not empty");
    require(!r.version || *r.version >= 0, "versions are not negative");
  }
  for (auto const& id : page->deletes) require(is_lower_guid(id), "delete id is a lower-case GUID");
  for (auto const& r : page->rejects) {
    require(is_lower_guid(r.id), "reject id is a lower-case GUID");
    require(r.reason == "key sample_bookcode is null" || r.reason == "key sample_bookcode is empty", "reject reason");
    boost::system::error_code ec;
    auto raw = boost::json::parse(r.raw_json, ec);
    require(!ec && raw.is_object(), "a reject's raw JSON parses back to an object");
  }
  return 0;
}
