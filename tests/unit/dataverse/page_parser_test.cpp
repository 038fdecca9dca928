#include "dataverse/page_parser.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace dvsync::dataverse {
namespace {

config::table_spec const sample_book{
    "sample_books", "sample_book", "sample_bookid", "sample_bookcode", {"sample_name", "sample_bookcode", "sample_author"}};

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

config::table_spec const accounts{"accounts", "account", "accountid", "name", {"name", "accountnumber", "telephone1", "fax"}};

TEST(PageParser, MicrosoftInitialResponse) {
  page p = parse_ok(ms_initial, accounts);
  ASSERT_EQ(p.upserts.size(), 1u);
  EXPECT_EQ(p.upserts[0].id, "60c4e274-0d87-e711-80e5-00155db19e6d");
  EXPECT_EQ(p.upserts[0].version, std::optional<std::int64_t>(915244));
  EXPECT_EQ(p.upserts[0].columns, (std::vector<value>{text("Monte Orton"), null(), text("555000"), text("10101")}));
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
  EXPECT_EQ(p.upserts[0].columns, (std::vector<value>{text("Monte Orton"), null(), text("555000"), text("10101")}));
  EXPECT_EQ(p.deletes, std::vector<std::string>{"2e451703-c686-e711-80e5-00155db19e6d"});
  EXPECT_TRUE(p.delta_link->ends_with("$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20"));
}

TEST(PageParser, MicrosoftPagedResponse) {
  config::table_spec contacts{"contacts", "contact", "contactid", "fullname", {"fullname"}};
  page p = parse_ok(ms_paged, contacts);
  ASSERT_EQ(p.upserts.size(), 2u);
  EXPECT_EQ(p.upserts[1].id, "70bf4d48-34cb-ed11-b596-0022481d68cd");
  EXPECT_EQ(p.upserts[1].version, std::optional<std::int64_t>(80648695));
  EXPECT_EQ(p.upserts[1].columns, std::vector<value>{text("Susanna Stubberod (sample)")});
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
  // Columns come in table_spec order, whatever the member order.
  EXPECT_EQ(p.upserts[0].columns, (std::vector<value>{text("Demo Book 0"), text("BookCode0"), text("Author0")}));
}

TEST(PageParser, InitialPageFile) {
  page p = parse_ok(read_page("initial.json"));
  ASSERT_EQ(p.upserts.size(), 2u);
  EXPECT_EQ(p.upserts[0].id, "60c4e274-0d87-e711-80e5-00155db19e6d");  // upper case in the file
  EXPECT_EQ(p.upserts[1].columns, (std::vector<value>{text("Demo Book 1"), text("BookCode1"), null()}));
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
  EXPECT_EQ(p.upserts[0].columns[1], text("BookCode9"));

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
  EXPECT_EQ(a.columns[0], integer(42));
  EXPECT_EQ(a.columns[2], value(18446744073709551615.0));  // beyond int64: stored as a real
  auto const& b = p.upserts[1];
  EXPECT_EQ(b.version, std::optional<std::int64_t>(77));  // from versionnumber
  EXPECT_EQ(b.columns[0], value(20000.0));
  EXPECT_EQ(b.columns[2], integer(1));
  auto const& c = p.upserts[2];
  EXPECT_FALSE(c.version);  // an opaque ETag and no versionnumber
  EXPECT_EQ(c.columns[0], text(R"({"nested":[1,2]})"));
  EXPECT_EQ(c.columns[2], integer(0));
  auto const& d = p.upserts[3];
  EXPECT_EQ(d.columns[0], text(R"([1,"two",null])"));
  EXPECT_EQ(d.columns[2], null());
  // A key that is not a string is still a key.
  page n = parse_ok(R"({"value": [{"sample_bookid": "aaaaaaaa-0000-0000-0000-000000000001", "sample_bookcode": 0}]})");
  ASSERT_EQ(n.upserts.size(), 1u);
  EXPECT_EQ(n.upserts[0].columns[1], integer(0));
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
  EXPECT_EQ(a.upserts[0].columns, b.upserts[0].columns);
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

}  // namespace
}  // namespace dvsync::dataverse
