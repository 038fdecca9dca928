#include "dataverse/page_parser.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dvsync::dataverse {
namespace {

config::table_spec const sample_book{
    "sample_books", "sample_book", "sample_bookid", "sample_bookcode", {"sample_name", "sample_bookcode", "sample_author"}, ""};

std::string read_page(std::string const& name) {
  std::ifstream in(std::filesystem::path(DVSYNC_TEST_PAGES_DIR) / name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

page parse_ok(std::string_view body, config::table_spec const& spec = sample_book) {
  auto r = parse_page(body, spec);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : page{};
}

core::error parse_fails(std::string_view body, config::table_spec const& spec = sample_book) {
  auto r = parse_page(body, spec);
  EXPECT_FALSE(r) << "parsed: " << body;
  return r ? core::error{} : r.error();
}

value text(std::string s) { return value(std::move(s)); }
value integer(std::int64_t n) { return value(n); }
value null() { return value(std::monostate{}); }

// Microsoft's initial change-tracking response (dataverse-protocol.md §2.1), verbatim.
constexpr std::string_view ms_initial = R"j({
  "@odata.context":"[Organization URI]/api/data/v9.0/$metadata#accounts(name,accountnumber,telephone1,fax)",
"@odata.deltaLink": "[Organization URI]/api/data/v9.0/accounts?$select=name,accountnumber,telephone1,fax&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44",
"value":[
           {
              "@odata.etag":"W/\"915244\"",
              "name":"Monte Orton",
              "accountnumber":null,
              "telephone1":"555000",
              "fax":"10101",
              "accountid":"60c4e274-0d87-e711-80e5-00155db19e6d"
           }
       ]
})j";

// Microsoft's delta response (§2.2), verbatim.
constexpr std::string_view ms_delta = R"j({
          "@odata.context":"[Organization URI]/data/v9.0/$metadata#accounts(name,telephone1,fax)/$delta",
          "@odata.deltaLink":"[Organization URI]/api/data/v9.0/accounts?$select=name,telephone1,fax&$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20",
"value":
    [
        {
            "@odata.etag":"W/\"915244\"",
            "name":"Monte Orton",
            "telephone1":"555000",
            "fax":"10101",
            "accountid":"60c4e274-0d87-e711-80e5-00155db19e6d"
        },
        {
            "@odata.context":"[Organization URI]/api/data/v9.0/$metadata#accounts/$deletedEntity",
            "id":"2e451703-c686-e711-80e5-00155db19e6d",
            "reason":"deleted"
        }
    ]
})j";

// Microsoft's paging example (§4.1), verbatim.
constexpr std::string_view ms_paged = R"j({
    "@odata.context": "[Organization URI]/api/data/v9.2/$metadata#contacts(fullname)",
    "value": [
        {
            "@odata.etag": "W/\"72201545\"",
            "fullname": "Yvonne McKay (sample)",
            "contactid": "49b0be2e-d01c-ed11-b83e-000d3a572421"
        },
        {
            "@odata.etag": "W/\"80648695\"",
            "fullname": "Susanna Stubberod (sample)",
            "contactid": "70bf4d48-34cb-ed11-b596-0022481d68cd"
        }
    ],
    "@odata.nextLink": "[Organization URI]/api/data/v9.2/contacts?$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253ccontactid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d%2522%2520first%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E"
})j";

config::table_spec const accounts{"accounts", "account", "accountid", "name", {"name", "accountnumber", "telephone1", "fax"}, ""};

TEST(PageParser, MicrosoftInitialResponse) {
  page p = parse_ok(ms_initial, accounts);
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].id, "60c4e274-0d87-e711-80e5-00155db19e6d");
  EXPECT_EQ(p.upserts[0].version, std::optional<std::int64_t>(915244));
  EXPECT_EQ(p.upserts[0].values(), (std::vector<value>{text("Monte Orton"), null(), text("555000"), text("10101")}));
  EXPECT_TRUE(p.deletes.empty());
  EXPECT_TRUE(p.rejects.empty());
  EXPECT_FALSE(p.next_link);
  EXPECT_EQ(p.delta_link, std::optional<std::string>(
                              "[Organization URI]/api/data/v9.0/accounts?$select=name,accountnumber,telephone1,fax"
                              "&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44"));
}

TEST(PageParser, MicrosoftDeltaResponse) {
  page p = parse_ok(ms_delta, accounts);
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].id, "60c4e274-0d87-e711-80e5-00155db19e6d");
  // accountnumber is absent from this response: a missing column reads as null.
  EXPECT_EQ(p.upserts[0].values(), (std::vector<value>{text("Monte Orton"), null(), text("555000"), text("10101")}));
  EXPECT_EQ(p.deletes, std::vector<std::string>{"2e451703-c686-e711-80e5-00155db19e6d"});
  EXPECT_TRUE(p.delta_link->ends_with("$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20"));
}

TEST(PageParser, MicrosoftPagedResponse) {
  config::table_spec contacts{"contacts", "contact", "contactid", "fullname", {"fullname"}, ""};
  page p = parse_ok(ms_paged, contacts);
  ASSERT_EQ(p.upserts.size(), 2u);
  EXPECT_EQ(p.upserts[1].id, "70bf4d48-34cb-ed11-b596-0022481d68cd");
  EXPECT_EQ(p.upserts[1].version, std::optional<std::int64_t>(80648695));
  EXPECT_EQ(p.upserts[1].values(), std::vector<value>{text("Susanna Stubberod (sample)")});
  ASSERT_TRUE(p.next_link);
  EXPECT_TRUE(p.next_link->ends_with("istracking=%22False%22%20/%3E"));
  EXPECT_FALSE(p.delta_link);
}

TEST(PageParser, SampleBookRecord) {
  page p = parse_ok(R"({"value": [{
    "@odata.etag": "W/\"1234567\"",
    "sample_bookcode": "BookCode0",
    "sample_name": "Demo Book 0",
    "sample_author": "Author0",
    "sample_bookid": "00000000-0000-0000-0000-000000000000"
  }]})");
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].id, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(p.upserts[0].version, std::optional<std::int64_t>(1234567));
  // Columns come in fields order, whatever the member order.
  EXPECT_EQ(p.upserts[0].values(), (std::vector<value>{text("Demo Book 0"), text("BookCode0"), text("Author0")}));
}

TEST(PageParser, InitialPageFile) {
  page p = parse_ok(read_page("initial.json"));
  ASSERT_EQ(p.upserts.size(), 2u);
  EXPECT_EQ(p.upserts[0].id, "60c4e274-0d87-e711-80e5-00155db19e6d");  // upper case in the file
  EXPECT_EQ(p.upserts[1].values(), (std::vector<value>{text("Demo Book 1"), text("BookCode1"), null()}));
  EXPECT_TRUE(p.delta_link);
  EXPECT_FALSE(p.next_link);
}

TEST(PageParser, DeltaPageFile) {
  page p = parse_ok(read_page("delta.json"));
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].version, std::optional<std::int64_t>(915300));
  EXPECT_EQ(p.deletes, std::vector<std::string>{"2e451703-c686-e711-80e5-00155db19e6d"});
}

TEST(PageParser, DeletesInEveryIdForm) {
  page p = parse_ok(read_page("deletes.json"));
  EXPECT_TRUE(p.upserts.empty());
  EXPECT_EQ(p.deletes, (std::vector<std::string>{"2e451703-c686-e711-80e5-00155db19e6d",
                                                 "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                                                 "11111111-2222-3333-4444-555555555555"}));
  p = parse_ok(R"j({"value": [
    {"@odata.context": "x#sample_books/$deletedEntity", "id": "sample_books('AAAAAAAA-0000-0000-0000-000000000001')"},
    {"id": "aaaaaaaa-0000-0000-0000-000000000002", "reason": "deleted"}]})j");
  EXPECT_EQ(p.deletes, (std::vector<std::string>{"aaaaaaaa-0000-0000-0000-000000000001",
                                                 "aaaaaaaa-0000-0000-0000-000000000002"}));
}

TEST(PageParser, BadDeletesAreProtocolErrors) {
  for (std::string_view body : {
           R"({"value": [{"@odata.context": "x/$deletedEntity", "reason": "deleted"}]})",
           R"({"value": [{"@odata.context": "x/$deletedEntity", "id": 5}]})",
           R"({"value": [{"@odata.context": "x/$deletedEntity", "id": "not-a-guid"}]})",
           R"({"value": [{"@odata.context": "x/$deletedEntity", "id": "books(2e451703-c686-e711-80e5-00155db19e6d"}]})",
           R"({"value": [{"@odata.context": "x/$deletedEntity", "id": "2e451703-c686-e711-80e5-00155db19e6"}]})",
           R"({"value": [{"id": "2e451703xc686-e711-80e5-00155db19e6d", "reason": "deleted"}]})",
       }) {
    SCOPED_TRACE(body);
    auto e = parse_fails(body);
    EXPECT_EQ(e.code, core::errc::protocol);
    EXPECT_NE(e.message.find("value[0]"), std::string::npos) << e.message;
  }
}

TEST(PageParser, EmptyAndNoChangePages) {
  page empty = parse_ok(read_page("empty.json"));
  EXPECT_TRUE(empty.upserts.empty() && empty.deletes.empty() && empty.rejects.empty());
  EXPECT_TRUE(empty.delta_link);
  // "If no table changes occur ... the response contains empty JSON."
  page none = parse_ok(read_page("no_changes.json"));
  EXPECT_TRUE(none.upserts.empty() && none.deletes.empty() && none.rejects.empty());
  EXPECT_FALSE(none.delta_link);
  EXPECT_FALSE(none.next_link);
}

TEST(PageParser, PagedFiles) {
  page first = parse_ok(read_page("paged_1.json"));
  EXPECT_EQ(first.upserts.size(), 3u);
  ASSERT_TRUE(first.next_link);
  EXPECT_NE(first.next_link->find("$skiptoken="), std::string::npos);
  EXPECT_FALSE(first.delta_link);
  page last = parse_ok(read_page("paged_2.json"));
  EXPECT_EQ(last.upserts.size(), 1u);
  EXPECT_FALSE(last.next_link);
  EXPECT_TRUE(last.delta_link);
}

TEST(PageParser, NullOrEmptyKeyIsRejectedWithItsRawRecord) {
  page p = parse_ok(read_page("rejects.json"));
  ASSERT_EQ(p.rejects.size(), 2u);
  EXPECT_EQ(p.rejects[0].id, "aaaaaaaa-0000-0000-0000-000000000001");
  EXPECT_EQ(p.rejects[0].reason, "key sample_bookcode is null");
  EXPECT_NE(p.rejects[0].raw_json.find(R"("sample_name":"No code")"), std::string::npos) << p.rejects[0].raw_json;
  EXPECT_NE(p.rejects[0].raw_json.find(R"("sample_bookcode":null)"), std::string::npos);
  EXPECT_EQ(p.rejects[1].reason, "key sample_bookcode is empty");
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].values()[1], text("BookCode9"));

  page missing = parse_ok(R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000009", "sample_name": "x"}]})");
  ASSERT_EQ(missing.rejects.size(), 1u);
  EXPECT_EQ(missing.rejects[0].reason, "key sample_bookcode is null");
  EXPECT_TRUE(missing.upserts.empty());
}

TEST(PageParser, ColumnTypes) {
  page p = parse_ok(read_page("types.json"));
  ASSERT_EQ(p.upserts.size(), 4u);
  auto const& a = p.upserts[0];
  EXPECT_EQ(a.version, std::optional<std::int64_t>(INT64_MAX));
  EXPECT_EQ(a.values()[0], integer(42));
  EXPECT_EQ(a.values()[2], value(18446744073709551615.0));  // beyond int64: stored as a real
  auto const& b = p.upserts[1];
  EXPECT_EQ(b.version, std::optional<std::int64_t>(77));  // from versionnumber
  EXPECT_EQ(b.values()[0], value(20000.0));
  EXPECT_EQ(b.values()[2], integer(1));
  auto const& c = p.upserts[2];
  EXPECT_FALSE(c.version);  // an opaque ETag and no versionnumber
  EXPECT_EQ(c.values()[0], text(R"({"nested":[1,2]})"));
  EXPECT_EQ(c.values()[2], integer(0));
  auto const& d = p.upserts[3];
  EXPECT_EQ(d.values()[0], text(R"([1,"two",null])"));
  EXPECT_EQ(d.values()[2], null());
  // A key that is not a string is still a key.
  page n = parse_ok(R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_bookcode": 0}]})");
  ASSERT_EQ(n.upserts.size(), 1u);
  EXPECT_EQ(n.upserts[0].values()[1], integer(0));
}

TEST(PageParser, ETags) {
  auto version = [](std::string_view members) {
    std::string body = R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_bookcode": "c")" +
                       std::string(members) + "}]}";
    auto r = parse_page(body, sample_book);
    EXPECT_TRUE(r) << body;
    return r && r->upserts.size() == 1 ? r->upserts[0].version : std::optional<std::int64_t>(-1);
  };
  using v = std::optional<std::int64_t>;
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"123\"")"), v(123));
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"0\"")"), v(0));
  EXPECT_EQ(version(R"(, "@odata.etag": "\"123\"")"), v());
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"\"")"), v());
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"-5\"")"), v());
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"+5\"")"), v());
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"12a\"")"), v());
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"99999999999999999999\"")"), v());
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"123")"), v());
  EXPECT_EQ(version(R"(, "@odata.etag": 123)"), v());
  EXPECT_EQ(version(""), v());
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"opaque\"", "versionnumber": 55)"), v(55));
  EXPECT_EQ(version(R"(, "@odata.etag": "W/\"9\"", "versionnumber": 55)"), v(9));
  EXPECT_EQ(version(R"(, "versionnumber": -3)"), v());
  EXPECT_EQ(version(R"(, "versionnumber": "55")"), v());
}

TEST(PageParser, MemberOrderDoesNotMatter) {
  page a = parse_ok(read_page("delta.json"));
  page b = parse_ok(R"j({"value": [
      {"sample_bookid": "60C4E274-0D87-E711-80E5-00155DB19E6D", "sample_author": "Author0",
       "sample_bookcode": "BookCode0", "sample_name": "Demo Book 0 (renamed)", "@odata.etag": "W/\"915300\""},
      {"reason": "deleted", "id": "2e451703-c686-e711-80e5-00155db19e6d",
       "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#sample_books/$deletedEntity"}],
    "@odata.deltaLink": "https://contoso.crm.dynamics.com/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode,sample_author&$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20",
    "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#sample_books/$delta"})j");
  ASSERT_EQ(a.upserts.size(), 1u);
  ASSERT_EQ(b.upserts.size(), 1u);
  EXPECT_EQ(a.upserts[0].id, b.upserts[0].id);
  EXPECT_EQ(a.upserts[0].version, b.upserts[0].version);
  EXPECT_EQ(a.upserts[0].values(), b.upserts[0].values());
  EXPECT_EQ(a.deletes, b.deletes);
  EXPECT_EQ(a.delta_link, b.delta_link);
}

TEST(PageParser, MissingOrBadPrimaryKeyIsAProtocolError) {
  auto e = parse_fails(R"({"value": [
    {"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_bookcode": "a"},
    {"sample_bookcode": "b", "sample_name": "no id"}]})");
  EXPECT_EQ(e.code, core::errc::protocol);
  EXPECT_NE(e.message.find("value[1]"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("sample_bookid"), std::string::npos) << e.message;
  for (std::string_view id : {R"("abc")", "5", "null", R"("{aaaaaaaa-0000-0000-0000-000000000001}")",
                              R"("aaaaaaaa-0000-0000-0000-00000000000g")", R"("")"}) {
    SCOPED_TRACE(id);
    auto bad = parse_fails(R"({"value": [{"sample_bookcode": "b", "sample_bookid": )" + std::string(id) + "}]}");
    EXPECT_EQ(bad.code, core::errc::protocol);
    EXPECT_NE(bad.message.find("value[0]"), std::string::npos) << bad.message;
  }
}

TEST(PageParser, MalformedJsonIsAProtocolError) {
  for (std::string_view body : {"", " ", "{", "{\"value\": [", "{\"value\": []", "{\"value\": []}}", "nul", "{'value': []}",
                                "{\"value\": [],}", "\xff"}) {
    SCOPED_TRACE(body);
    EXPECT_EQ(parse_fails(body).code, core::errc::protocol);
  }
}

// Invalid UTF-8 (a lone continuation byte, a truncated or overlong sequence, a surrogate, beyond
// U+10FFFF, 0xFF) in a string or a member name is named as such, with its offset.
TEST(PageParser, InvalidUtf8IsNamedWithItsOffset) {
  std::string const head = R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_name": "Caf)";
  for (std::string_view bad : {"\x80", "\xC3\x28", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                               "\xFF", "\xE2\x82"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(bad)));
    auto e = parse_fails(head + std::string(bad) + R"("}]})");
    EXPECT_EQ(e.code, core::errc::protocol);
    EXPECT_EQ(e.message, "invalid UTF-8 at offset " + std::to_string(head.size()) + " (the page must be UTF-8 JSON)");
  }
  auto key = parse_fails(R"({"value": [{"sample_)" + std::string("\xFE") + R"(": 1}]})");
  EXPECT_EQ(key.message, "invalid UTF-8 at offset 20 (the page must be UTF-8 JSON)");
  // Well-formed UTF-8 of every length passes.
  EXPECT_TRUE(parse_page(head + "\u00e9 \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}]}", sample_book));
}

// A body cut anywhere short of its end is refused, never half-read.
TEST(PageParser, TruncatedBodiesAreRefused) {
  std::string body = read_page("delta.json");
  std::size_t end = body.rfind('}');
  ASSERT_NE(end, std::string::npos);
  for (std::size_t n = 0; n <= end; ++n) {
    auto r = parse_page(std::string_view(body).substr(0, n), sample_book);
    ASSERT_FALSE(r) << "prefix of " << n << " bytes parsed";
    ASSERT_EQ(r.error().code, core::errc::protocol);
  }
  EXPECT_TRUE(parse_page(body, sample_book));
}

TEST(PageParser, WrongShapesAreProtocolErrors) {
  for (std::string_view body : {"[]", "\"page\"", "42", "null",  // not an object
                                R"({"value": {}})", R"({"value": "x"})", R"({"value": null})",
                                R"({"value": [1]})", R"({"value": [[]]})", R"({"value": [null]})",
                                R"({"value": [], "@odata.nextLink": 5})", R"({"value": [], "@odata.deltaLink": null})",
                                R"({"value": [], "@odata.deltaLink": {"href": "x"}})"}) {
    SCOPED_TRACE(body);
    EXPECT_EQ(parse_fails(body).code, core::errc::protocol);
  }
  auto e = parse_fails(R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_bookcode": "a"}, 7]})");
  EXPECT_NE(e.message.find("value[1]"), std::string::npos) << e.message;
  EXPECT_NE(parse_fails(R"({"value": [], "@odata.nextLink": 5})").message.find("@odata.nextLink"), std::string::npos);
}

// Found by fuzzing: 1e400 became infinity, stored as such and written back as `Infinity` (not JSON).
TEST(PageParser, NumbersBeyondDoubleAreProtocolErrors) {
  std::string const id = R"("sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001")";
  for (std::string number : {"1e400", "-2.5e308"}) {
    SCOPED_TRACE(number);
    EXPECT_EQ(parse_fails(R"({"value": [{)" + id + R"(, "sample_bookcode": "a", "sample_author": )" + number + "}]}").code,
              core::errc::protocol);
    auto e = parse_fails(R"({"value": [{)" + id + R"(, "sample_bookcode": null, "x": {"y": [)" + number + "]}}]}");
    EXPECT_NE(e.message.find("value[0]"), std::string::npos) << e.message;
  }
  parse_ok(R"({"value": [{)" + id + R"(, "sample_bookcode": "a", "sample_author": 1.7e308}]})");
}

TEST(PageParser, ErrorsNeverQuoteTheBody) {
  std::string secret = "deltatoken=SECRET-TOKEN-123";
  for (std::string body : {R"({"@odata.deltaLink": "https://x/?)" + secret + R"(", "value": {}})",
                           R"({"@odata.deltaLink": "https://x/?)" + secret + R"(", "value": [{"sample_bookcode": "a"}]})",
                           R"({"@odata.deltaLink": "https://x/?)" + secret + R"(", "value": [)"}) {
    auto e = parse_fails(body);
    EXPECT_EQ(e.message.find("SECRET"), std::string::npos) << e.message;
    EXPECT_LT(e.message.size(), 200u);
  }
}

// --- Typed columns -------------------------------------------------------------------------------

using config::column_type;

// An account as resolved from the metadata: one column of each type, keyed by accountnumber.
config::table_spec const typed{"accounts",
                               "account",
                               "accountid",
                               "accountnumber",
                               {{"accountnumber", "accountnumber", column_type::text},
                                {"revenue", "revenue", column_type::decimal},
                                {"numberofemployees", "numberofemployees", column_type::integer},
                                {"donotemail", "donotemail", column_type::boolean},
                                {"exchangerate", "exchangerate", column_type::real},
                                {"modifiedon", "modifiedon", column_type::datetime},
                                {"birthdate", "birthdate", column_type::date},
                                {"processid", "processid", column_type::guid},
                                {"primarycontactid", "_primarycontactid_value", column_type::lookup},
                                {"ownerid", "_ownerid_value", column_type::lookup, true},
                                {"industrycode", "industrycode", column_type::choice},
                                {"categories", "categories", column_type::choices}},
                               "account"};

constexpr std::string_view account_id = R"("accountid": "aaaaaaaa-0000-0000-0000-000000000001")";

// One element of `typed` with the given members besides its id and key.
std::string account(std::string_view members, std::string_view key = R"("A-1")") {
  return std::string(R"({"value": [{)") + std::string(account_id) + R"(, "accountnumber": )" + std::string(key) +
         (members.empty() ? "" : ", ") + std::string(members) + "}]}";
}

// The stored value of field `name` (config::fields_of) of the only upsert.
value field(page const& p, std::string_view name, config::table_spec const& spec = typed) {
  auto const fields = config::fields_of(spec);
  auto it = std::find_if(fields.begin(), fields.end(), [&](config::field const& f) { return f.name == name; });
  EXPECT_NE(it, fields.end()) << name;
  EXPECT_EQ(p.upserts.size(), 1u);
  if (it == fields.end() || p.upserts.size() != 1) return value{};
  EXPECT_EQ(p.upserts[0].values().size(), fields.size());
  return p.upserts[0].values().at(static_cast<std::size_t>(it - fields.begin()));
}

// The value of field `name` for one member value of its column, read through `typed`.
value typed_value(std::string_view member, std::string_view json, std::string_view name = {}) {
  page p = parse_ok(account(fmt::format(R"("{}": {})", member, json)), typed);
  EXPECT_TRUE(p.rejects.empty()) << json << ": " << (p.rejects.empty() ? "" : p.rejects[0].reason);
  return p.rejects.empty() ? field(p, name.empty() ? member : name) : value{};
}

// The reason a record is rejected for one member value, read through `typed`.
std::string typed_reject(std::string_view member, std::string_view json) {
  std::string body = account(fmt::format(R"("{}": {})", member, json));
  page p = parse_ok(body, typed);
  EXPECT_TRUE(p.upserts.empty()) << body;
  EXPECT_EQ(p.rejects.size(), 1u) << body;
  return p.rejects.size() == 1 ? p.rejects[0].reason : std::string();
}

TEST(PageParserTyped, OneValuePerFieldInFieldsOrder) {
  page p = parse_ok(R"j({"value": [{
    "@odata.etag": "W/\"5\"",
    "categories": "1,3",
    "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser",
    "_ownerid_value": "BBBBBBBB-0000-0000-0000-000000000002",
    "_primarycontactid_value": "cccccccc-0000-0000-0000-000000000003",
    "_primarycontactid_value@OData.Community.Display.V1.FormattedValue": "Yvonne McKay",
    "revenue": 922337203685477.5807,
    "revenue@OData.Community.Display.V1.FormattedValue": "$922,337,203,685,477.58",
    "numberofemployees": 12, "donotemail": true, "exchangerate": 1.5,
    "modifiedon": "2023-04-07T21:59:01Z", "birthdate": "1980-02-29",
    "processid": "DDDDDDDD-0000-0000-0000-000000000004", "industrycode": 7,
    "accountnumber": "A-1", "unselected": {"x": 1},
    "accountid": "aaaaaaaa-0000-0000-0000-000000000001"}]})j",
                    typed);
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].version, std::optional<std::int64_t>(5));
  EXPECT_EQ(p.upserts[0].values(),
            (std::vector<value>{text("A-1"), value(922337203685477.5807), text("922337203685477.5807"), integer(12),
                                integer(1), value(1.5), text("2023-04-07T21:59:01Z"), text("1980-02-29"),
                                text("dddddddd-0000-0000-0000-000000000004"), text("cccccccc-0000-0000-0000-000000000003"),
                                text("bbbbbbbb-0000-0000-0000-000000000002"), text("systemuser"), integer(7),
                                text("[1,3]")}));
}

TEST(PageParserTyped, DecimalsKeepTheDigitsSent) {
  auto decimal = [](std::string_view json, value expected, value exact) {
    SCOPED_TRACE(json);
    EXPECT_EQ(typed_value("revenue", json), expected);
    EXPECT_EQ(typed_value("revenue", json, "dvsync_exact_revenue"), exact);
  };
  decimal("922337203685477.5807", value(922337203685477.5807), text("922337203685477.5807"));
  decimal("-922337203685477.5808", value(-922337203685477.5808), text("-922337203685477.5808"));
  decimal("0.1", value(0.1), text("0.1"));
  decimal("20000.0000", value(20000.0), text("20000.0000"));
  decimal("-1E-7", value(-1e-7), text("-1E-7"));
  decimal("5", value(5.0), text("5"));
  decimal("18446744073709551616", value(18446744073709551616.0), text("18446744073709551616"));
  // IEEE754Compatible=true: Edm.Decimal as a string holding the number.
  decimal(R"("12.50")", value(12.5), text("12.50"));
  decimal(R"("0.1")", value(0.1), text("0.1"));
  decimal("null", null(), null());
  EXPECT_EQ(typed_reject("revenue", R"("12,50")"), "attribute revenue: expected a number");
  EXPECT_EQ(typed_reject("revenue", R"(" 1")"), "attribute revenue: expected a number");
  EXPECT_EQ(typed_reject("revenue", R"("")"), "attribute revenue: expected a number");
  EXPECT_EQ(typed_reject("revenue", R"("NaN")"), "attribute revenue: expected a number");
  EXPECT_EQ(typed_reject("revenue", R"("1e400")"), "attribute revenue: number out of range");
  EXPECT_EQ(typed_reject("revenue", "true"), "attribute revenue: expected a number, not true or false");
  EXPECT_EQ(typed_reject("revenue", "[1]"), "attribute revenue: expected a number, not an array");
}

TEST(PageParserTyped, NumbersIntegersAndBooleans) {
  EXPECT_EQ(typed_value("numberofemployees", "-42"), integer(-42));
  EXPECT_EQ(typed_value("numberofemployees", "9223372036854775807"), integer(INT64_MAX));
  EXPECT_EQ(typed_value("industrycode", "100000001"), integer(100000001));
  EXPECT_EQ(typed_value("exchangerate", "3"), value(3.0));
  EXPECT_EQ(typed_value("exchangerate", "0.1"), value(0.1));
  EXPECT_EQ(typed_value("exchangerate", "1e-400"), value(0.0));
  EXPECT_EQ(typed_value("donotemail", "true"), integer(1));
  EXPECT_EQ(typed_value("donotemail", "false"), integer(0));
  EXPECT_EQ(typed_reject("numberofemployees", R"("42")"), "attribute numberofemployees: expected an integer, not a string");
  EXPECT_EQ(typed_reject("numberofemployees", "2.5"),
            "attribute numberofemployees: expected an integer, not a number with a fraction or an exponent");
  EXPECT_EQ(typed_reject("industrycode", "1e3"),
            "attribute industrycode: expected an integer, not a number with a fraction or an exponent");
  EXPECT_EQ(typed_reject("numberofemployees", "9223372036854775808"), "attribute numberofemployees: integer beyond 64 bits");
  EXPECT_EQ(typed_reject("numberofemployees", "true"), "attribute numberofemployees: expected an integer, not true or false");
  EXPECT_EQ(typed_reject("exchangerate", R"("1.5")"), "attribute exchangerate: expected a number, not a string");
  EXPECT_EQ(typed_reject("donotemail", "1"), "attribute donotemail: expected true or false, not a number");
  EXPECT_EQ(typed_reject("donotemail", R"("true")"), "attribute donotemail: expected true or false, not a string");
}

TEST(PageParserTyped, DateTimesAreStoredInUtc) {
  auto utc = [](std::string_view sent) { return typed_value("modifiedon", fmt::format(R"("{}")", sent)); };
  EXPECT_EQ(utc("2023-04-07T21:59:01Z"), text("2023-04-07T21:59:01Z"));
  EXPECT_EQ(utc("2023-04-07T21:59:01.1230000Z"), text("2023-04-07T21:59:01.1230000Z"));
  EXPECT_EQ(utc("2023-04-07T23:59:01.5+02:00"), text("2023-04-07T21:59:01.5Z"));
  EXPECT_EQ(utc("2023-04-07T21:30:00-05:00"), text("2023-04-08T02:30:00Z"));
  EXPECT_EQ(utc("2023-04-07T21:59:01+00:00"), text("2023-04-07T21:59:01Z"));
  EXPECT_EQ(utc("2023-04-07T21:59:01-00:00"), text("2023-04-07T21:59:01Z"));
  EXPECT_EQ(utc("2024-12-31T23:00:00-01:30"), text("2025-01-01T00:30:00Z"));
  EXPECT_EQ(utc("2024-03-01T00:30:00+01:00"), text("2024-02-29T23:30:00Z"));
  EXPECT_EQ(utc("2023-03-01T00:30:00+01:00"), text("2023-02-28T23:30:00Z"));
  EXPECT_EQ(utc("1969-12-31T23:59:59-00:01"), text("1970-01-01T00:00:59Z"));
  EXPECT_EQ(utc("0001-01-01T00:00:00Z"), text("0001-01-01T00:00:00Z"));
  EXPECT_EQ(typed_value("modifiedon", "null"), null());
  for (std::string_view bad : {"2023-02-29T00:00:00Z", "2023-04-31T00:00:00Z", "2023-13-01T00:00:00Z",
                               "2023-04-07T24:00:00Z", "2023-04-07T21:60:00Z", "2023-04-07T21:59:60Z",
                               "2023-04-07 21:59:01Z", "2023-04-07T21:59:01", "2023-04-07T21:59Z", "2023-04-07",
                               "2023-04-07T21:59:01.Z", "2023-04-07T21:59:01+0200", "2023-04-07T21:59:01+24:00",
                               "2023-04-07t21:59:01z", "9999-12-31T23:00:00-01:00", "0000-01-01T00:30:00+01:00",
                               "2023-04-07T21:59:01Z ", "+2023-04-07T21:59:01Z", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(typed_reject("modifiedon", fmt::format(R"("{}")", bad)),
              "attribute modifiedon: expected a date and time (YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset)");
  }
  EXPECT_EQ(typed_reject("modifiedon", "20230407"),
            "attribute modifiedon: expected a date and time (YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset), not "
            "a number");
}

TEST(PageParserTyped, DateOnly) {
  auto date = [](std::string_view sent) { return typed_value("birthdate", fmt::format(R"("{}")", sent)); };
  EXPECT_EQ(date("2024-02-29"), text("2024-02-29"));
  EXPECT_EQ(date("2023-04-07T00:00:00Z"), text("2023-04-07"));
  EXPECT_EQ(date("2023-04-07T00:00:00.000Z"), text("2023-04-07"));
  // A date has no zone: midnight with an offset is still that day.
  EXPECT_EQ(date("2023-04-07T00:00:00+02:00"), text("2023-04-07"));
  for (std::string_view bad : {"2023-02-29", "2023-04-31", "2023-00-10", "2023-4-7", "2023/04/07",
                               "2023-04-07T10:00:00Z", "2023-04-07T00:00:00.001Z", "2023-04-07T00:00:00", "20230407"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(typed_reject("birthdate", fmt::format(R"("{}")", bad)), "attribute birthdate: expected a date (YYYY-MM-DD)");
  }
}

TEST(PageParserTyped, GuidsAndLookups) {
  EXPECT_EQ(typed_value("processid", R"("DDDDDDDD-0000-0000-0000-00000000000A")"),
            text("dddddddd-0000-0000-0000-00000000000a"));
  EXPECT_EQ(typed_value("_primarycontactid_value", R"("CCCCCCCC-0000-0000-0000-000000000003")", "primarycontactid"),
            text("cccccccc-0000-0000-0000-000000000003"));
  EXPECT_EQ(typed_reject("processid", R"("{dddddddd-0000-0000-0000-000000000004}")"), "attribute processid: expected a GUID");
  EXPECT_EQ(typed_reject("_primarycontactid_value", R"j("contacts(cccccccc-0000-0000-0000-000000000003)")j"),
            "attribute primarycontactid: expected a GUID");
  EXPECT_EQ(typed_reject("_primarycontactid_value", "3"), "attribute primarycontactid: expected a GUID, not a number");
  // A lookup is read from _<name>_value only.
  page p = parse_ok(account(R"("primarycontactid": "cccccccc-0000-0000-0000-000000000003")"), typed);
  EXPECT_EQ(field(p, "primarycontactid"), null());
}

// Every character of a GUID is checked: a hex digit where a digit goes, a dash where a dash goes.
TEST(PageParserTyped, GuidsCheckedAtEveryPosition) {
  std::string const good = "0123abcd-ABCD-ef01-2345-6789abcdef01";
  EXPECT_EQ(typed_value("processid", fmt::format(R"("{}")", good)), text("0123abcd-abcd-ef01-2345-6789abcdef01"));
  for (std::size_t i = 0; i < good.size(); ++i) {
    bool const dash = good[i] == '-';
    for (char c : dash ? std::string("0_ ") : std::string("g-G /:@`")) {
      std::string bad = good;
      bad[i] = c;
      SCOPED_TRACE(bad);
      EXPECT_EQ(typed_reject("processid", fmt::format(R"("{}")", bad)), "attribute processid: expected a GUID");
    }
  }
  EXPECT_EQ(typed_reject("processid", R"("0123abcd-abcd-ef01-2345-6789abcdef0\u0000")"),
            "attribute processid: expected a GUID");
  EXPECT_EQ(typed_reject("processid", R"("0123abcd-abcd-ef01-2345-6789abcdef012")"), "attribute processid: expected a GUID");
}

TEST(PageParserTyped, PolymorphicLookupTarget) {
  std::string const owner = R"("_ownerid_value": "bbbbbbbb-0000-0000-0000-000000000002")";
  std::string const team = R"("_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "team")";
  page with = parse_ok(account(team + ", " + owner), typed);
  EXPECT_EQ(field(with, "ownerid"), text("bbbbbbbb-0000-0000-0000-000000000002"));
  EXPECT_EQ(field(with, "owneridtype"), text("team"));
  page after = parse_ok(account(owner + ", " + team), typed);  // the annotation after the value
  EXPECT_EQ(field(after, "owneridtype"), text("team"));
  page without = parse_ok(account(owner), typed);
  EXPECT_EQ(field(without, "ownerid"), text("bbbbbbbb-0000-0000-0000-000000000002"));
  EXPECT_EQ(field(without, "owneridtype"), null());
  // No owner, no target, whatever the annotation says.
  page nobody = parse_ok(account(team + R"(, "_ownerid_value": null)"), typed);
  EXPECT_EQ(field(nobody, "ownerid"), null());
  EXPECT_EQ(field(nobody, "owneridtype"), null());
  page absent = parse_ok(account(team), typed);
  EXPECT_EQ(field(absent, "owneridtype"), null());
  // Only polymorphic lookups store a target.
  page single = parse_ok(
      account(R"("_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact", )"
              R"("_primarycontactid_value": "cccccccc-0000-0000-0000-000000000003")"),
      typed);
  EXPECT_EQ(config::fields_of(typed).size(), single.upserts.at(0).values().size());
  EXPECT_EQ(field(single, "primarycontactid"), text("cccccccc-0000-0000-0000-000000000003"));
}

TEST(PageParserTyped, MultiSelectChoices) {
  EXPECT_EQ(typed_value("categories", R"("1,3")"), text("[1,3]"));
  EXPECT_EQ(typed_value("categories", R"("100000000")"), text("[100000000]"));
  EXPECT_EQ(typed_value("categories", "[1,3]"), text("[1,3]"));
  EXPECT_EQ(typed_value("categories", "[ 100000000 , 2 ]"), text("[100000000,2]"));
  EXPECT_EQ(typed_value("categories", R"("")"), null());
  EXPECT_EQ(typed_value("categories", "[]"), null());
  EXPECT_EQ(typed_value("categories", "null"), null());
  for (std::string_view bad : {R"("1,x")", R"("1,")", R"(",1")", R"("1;3")", R"("+1")", R"("1.5")", R"("99999999999999999999")",
                               R"([1,"3"])", "[1.5]", "[[1]]", "[null]", R"({"a":1})", "5", "true"}) {
    SCOPED_TRACE(bad);
    EXPECT_NE(typed_reject("categories", bad).find("attribute categories: expected integers separated by commas"),
              std::string::npos);
  }
}

TEST(PageParserTyped, TextIsAString) {
  EXPECT_EQ(typed_value("accountnumber", R"("A-\"2\"\u00e9")"), text("A-\"2\"\u00e9"));
  // A key of the wrong type is named as such, not as a missing key.
  EXPECT_EQ(typed_reject("accountnumber", "5"), "attribute accountnumber: expected a string, not a number");
  EXPECT_EQ(typed_reject("accountnumber", "null"), "key accountnumber is null");
  EXPECT_EQ(typed_reject("accountnumber", R"("")"), "key accountnumber is empty");
}

TEST(PageParserTyped, WrongTypesAreRejectsAndThePageGoesOn) {
  page p = parse_ok(R"j({"value": [
    {"accountid": "aaaaaaaa-0000-0000-0000-000000000001", "accountnumber": "A-1", "revenue": 1.25},
    {"accountid": "AAAAAAAA-0000-0000-0000-000000000002", "accountnumber": "A-2", "revenue": "lots",
     "numberofemployees": "many", "modifiedon": "yesterday"},
    {"@odata.context": "x#accounts/$deletedEntity", "id": "aaaaaaaa-0000-0000-0000-000000000009", "reason": "deleted"},
    {"accountid": "aaaaaaaa-0000-0000-0000-000000000003", "accountnumber": "A-3", "revenue": 922337203685477.5807}],
    "@odata.deltaLink": "https://x/?$deltatoken=1"})j",
                    typed);
  ASSERT_EQ(p.upserts.size(), 2u);
  EXPECT_EQ(p.upserts[0].values()[1], value(1.25));
  EXPECT_EQ(p.upserts[1].values()[2], text("922337203685477.5807"));
  EXPECT_EQ(p.deletes, std::vector<std::string>{"aaaaaaaa-0000-0000-0000-000000000009"});
  ASSERT_EQ(p.rejects.size(), 1u);
  EXPECT_EQ(p.rejects[0].id, "aaaaaaaa-0000-0000-0000-000000000002");
  // The first problem in column order.
  EXPECT_EQ(p.rejects[0].reason, "attribute revenue: expected a number");
  EXPECT_EQ(p.rejects[0].raw_json,
            R"({"accountid":"AAAAAAAA-0000-0000-0000-000000000002","accountnumber":"A-2","revenue":"lots",)"
            R"("numberofemployees":"many","modifiedon":"yesterday"})");
  EXPECT_TRUE(p.delta_link);
}

// The raw JSON of a reject is the element as received: digits, escapes and unselected members.
TEST(PageParserTyped, RejectRawJsonKeepsExactDigitsAndParses) {
  page p = parse_ok(R"j({"value": [
    {"accountid": "aaaaaaaa-0000-0000-0000-000000000001", "accountnumber": "A-1", "numberofemployees": 1},
    {"accountid": "aaaaaaaa-0000-0000-0000-000000000002", "accountnumber": "A-2", "revenue": 922337203685477.5807,
     "exchangerate": 0.1, "big": 18446744073709551616, "tiny": -1E-7, "numberofemployees": "ten",
     "note": "quote \" backslash \\ newline \n tab \t bell \u0007 \u00e9 \ud83d\ude00 \/",
     "nested": {"a": [1, 2.50, true, false, null, {}], "b": []}}]})j",
                    typed);
  ASSERT_EQ(p.upserts.size(), 1u);
  ASSERT_EQ(p.rejects.size(), 1u);
  EXPECT_EQ(p.rejects[0].reason, "attribute numberofemployees: expected an integer, not a string");
  std::string const& raw = p.rejects[0].raw_json;
  for (std::string_view kept : {R"("revenue":922337203685477.5807)", R"("exchangerate":0.1)",
                                R"("big":18446744073709551616)", R"("tiny":-1E-7)",
                                R"("nested":{"a":[1,2.50,true,false,null,{}],"b":[]})"})
    EXPECT_NE(raw.find(kept), std::string::npos) << kept << " in " << raw;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(raw, ec);
  ASSERT_FALSE(ec) << raw;
  EXPECT_EQ(parsed.at("note").as_string(), "quote \" backslash \\ newline \n tab \t bell \a \u00e9 \U0001F600 /");
  EXPECT_EQ(parsed.at("accountid").as_string(), "aaaaaaaa-0000-0000-0000-000000000002");
  // Read again, the raw JSON gives the same reject with the same raw JSON.
  page again = parse_ok(R"({"value": [)" + raw + "]}", typed);
  ASSERT_EQ(again.rejects.size(), 1u);
  EXPECT_EQ(again.rejects[0].raw_json, raw);
  EXPECT_EQ(again.rejects[0].reason, p.rejects[0].reason);
}

TEST(PageParserTyped, KeyRejectsKeepTheirRawJson) {
  page p = parse_ok(account(R"("revenue": 0.1000)", "null"), typed);
  ASSERT_EQ(p.rejects.size(), 1u);
  EXPECT_EQ(p.rejects[0].reason, "key accountnumber is null");
  EXPECT_EQ(p.rejects[0].raw_json,
            R"({"accountid":"aaaaaaaa-0000-0000-0000-000000000001","accountnumber":null,"revenue":0.1000})");
}

TEST(PageParserTyped, WithoutAKeyTheIdIsEnough) {
  config::table_spec keyless = typed;
  keyless.key.clear();
  page p = parse_ok(R"({"value": [{"accountid": "aaaaaaaa-0000-0000-0000-000000000001"},
                                  {"accountid": "aaaaaaaa-0000-0000-0000-000000000002", "accountnumber": ""}]})",
                    keyless);
  ASSERT_EQ(p.upserts.size(), 2u);
  EXPECT_TRUE(p.rejects.empty());
  EXPECT_EQ(p.upserts[0].values(), std::vector<value>(config::fields_of(keyless).size()));
  EXPECT_EQ(p.upserts[1].values()[0], text(""));
  // Type checks still apply.
  page bad = parse_ok(R"({"value": [{"accountid": "aaaaaaaa-0000-0000-0000-000000000001", "revenue": "x"}]})", keyless);
  ASSERT_EQ(bad.rejects.size(), 1u);
  EXPECT_EQ(bad.rejects[0].reason, "attribute revenue: expected a number");
}

// A member repeated in one element counts once: its last occurrence, as a DOM would keep it.
TEST(PageParserTyped, RepeatedMemberLastOneWins) {
  page p = parse_ok(account(R"("revenue": "bad", "revenue": 1.5, "processid": 1, "processid": null)"), typed);
  EXPECT_EQ(field(p, "revenue"), value(1.5));
  EXPECT_EQ(field(p, "dvsync_exact_revenue"), text("1.5"));
  EXPECT_EQ(field(p, "processid"), null());
  page q = parse_ok(account(R"("revenue": 1.5, "revenue": null)"), typed);
  EXPECT_EQ(field(q, "revenue"), null());
  EXPECT_EQ(field(q, "dvsync_exact_revenue"), null());
  EXPECT_EQ(typed_reject("revenue", R"(1.5, "revenue": "bad")"), "attribute revenue: expected a number");
  page r = parse_ok(R"({"value": [{"accountid": "bad", "accountnumber": "A-1",
                                   "accountid": "aaaaaaaa-0000-0000-0000-000000000001", "accountnumber": "A-2"}]})",
                    typed);
  ASSERT_EQ(r.upserts.size(), 1u);
  EXPECT_EQ(r.upserts[0].values()[0], text("A-2"));
  EXPECT_EQ(parse_fails(R"({"value": [], "value": []})").code, core::errc::protocol);
}

// Strings and keys that Boost.JSON hands over in parts (escapes, long values) arrive whole.
TEST(PageParserTyped, StringsInParts) {
  std::string long_text(10000, 'x');
  for (std::size_t i = 0; i < long_text.size(); i += 97) long_text[i] = '\n';
  std::string escaped;
  for (char c : long_text) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  page p = parse_ok(R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_book\u0063ode": "c",
                                   "sample_name": ")" + escaped + R"(", "sample_author": [")" + escaped + R"("]}]})");
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].values()[0], text(long_text));
  EXPECT_EQ(p.upserts[0].values()[1], text("c"));
  EXPECT_EQ(p.upserts[0].values()[2], text(R"([")" + escaped + R"("])"));
}

TEST(PageParserTyped, UntypedObjectsKeepTheirDigits) {
  page p = parse_ok(R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_bookcode": "c",
                                   "sample_name": {"price": 20000.0000, "tags": ["a\"b", -0, 1E+2]}}]})");
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].values()[0], text(R"({"price":20000.0000,"tags":["a\"b",-0,1E+2]})"));
}

TEST(PageParserTyped, NumbersBeyondDoubleStillFailThePage) {
  EXPECT_EQ(parse_fails(account(R"("revenue": 1e400)"), typed).code, core::errc::protocol);
  EXPECT_EQ(parse_fails(account(R"("categories": [1, 1e400])"), typed).code, core::errc::protocol);
}

}  // namespace
}  // namespace dvsync::dataverse
