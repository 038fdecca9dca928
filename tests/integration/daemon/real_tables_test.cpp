// The daemon against the emulator's real tables (account, contact, sample_note): discovery, every
// column type as SQLite stores it, exact money digits, choice labels, a table keyed by its GUID,
// column changes in Dataverse and in the configuration while readers read (and a kill -9 in the
// middle of one), change tracking off and bad metadata. Every value is compared with what the
// emulator holds, through read-only connections as the documentation tells readers to open them.
#include "fixture.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <csignal>
#include <filesystem>
#include <functional>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

// How a column's values are stored (schema/README.md, config/table_spec.hpp).
enum class kind { text, integer, boolean, real, decimal, date, datetime, lookup, guid, choice, choices };

struct column {
  std::string name;
  kind type;
  bool polymorphic = false;  // <name>type holds the target table
};

using layout = std::vector<column>;

// The built-in tables' mirrored columns in attribute order (emulator/README.md, Built-in tables):
// entityimage and sample_contractfile are left out.
layout const account_columns = {
    {"name", kind::text},
    {"accountnumber", kind::text},
    {"description", kind::text},
    {"revenue", kind::decimal},
    {"sample_ledgerbalance", kind::decimal},
    {"transactioncurrencyid", kind::lookup},
    {"numberofemployees", kind::integer},
    {"sample_externalid", kind::integer},
    {"creditonhold", kind::boolean},
    {"address1_latitude", kind::real},
    {"exchangerate", kind::decimal},
    {"industrycode", kind::choice},
    {"customertypecode", kind::choice},
    {"statecode", kind::choice},
    {"statuscode", kind::choice},
    {"primarycontactid", kind::lookup},
    {"sample_foundedon", kind::date},
    {"lastonholdtime", kind::datetime},
    {"sample_channels", kind::choices},
    {"ownerid", kind::lookup, true},
    {"createdon", kind::datetime},
    {"modifiedon", kind::datetime},
    {"versionnumber", kind::integer},
};

layout const contact_columns = {
    {"fullname", kind::text},         {"firstname", kind::text},       {"lastname", kind::text},
    {"emailaddress1", kind::text},    {"birthdate", kind::date},       {"gendercode", kind::choice},
    {"parentcustomerid", kind::lookup, true},
    {"statecode", kind::choice},      {"statuscode", kind::choice},    {"ownerid", kind::lookup, true},
    {"stageid", kind::guid},
    {"createdon", kind::datetime},    {"modifiedon", kind::datetime},  {"versionnumber", kind::integer},
};

layout without(layout l, std::string const& name) {
  std::erase_if(l, [&](column const& c) { return c.name == name; });
  return l;
}

layout with(layout l, column c) {
  // An added attribute comes after the others, before the service's own columns (createdon, ...).
  auto at = std::find_if(l.begin(), l.end(), [](column const& x) { return x.name == "createdon"; });
  l.insert(at, std::move(c));
  return l;
}

// The mirror table's column names for a layout: the id first, a decimal's exact digits and a
// polymorphic lookup's target beside their column, dvsync_version last.
std::vector<std::string> mirror_names(std::string const& id, layout const& l) {
  std::vector<std::string> out{id};
  for (auto const& c : l) {
    out.push_back(c.name);
    if (c.type == kind::decimal) out.push_back("dvsync_exact_" + c.name);
    if (c.polymorphic) out.push_back(c.name + "type");
  }
  out.push_back("dvsync_version");
  return out;
}

// JSON whose numbers are kept as the text sent ("#4052886.7900"): Boost.JSON would make them doubles.
json::value parse_keeping_numbers(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t end = i;
      while (end < text.size() && std::strchr("+-.eE0123456789", text[end]) != nullptr) ++end;
      out += "\"#" + std::string(text.substr(i, end - i)) + "\"";
      i = end - 1;
    } else {
      out += c;
    }
  }
  return json::parse(out);
}

std::string number_text(json::value const& v) {
  auto const& s = v.as_string();
  if (s.empty() || s[0] != '#') throw std::runtime_error("not a number: " + std::string(s));
  return std::string(s.subview().substr(1));
}

std::string real_text(double d) { return fmt::format("real:{:.17g}", d); }

// One row as canonical text per stored column ("text:…", "int:…", "real:…", "null").
using canonical_row = std::vector<std::string>;
using canonical_rows = std::map<std::string, canonical_row>;  // by id

// The emulator's rows (GET /_emulator/rows) as the mirror should hold them, polymorphic targets
// left out (the dump does not carry them; tests compare them with the Web API's annotations).
canonical_rows expected_rows(std::string const& dump, layout const& l) {
  canonical_rows out;
  auto const doc = parse_keeping_numbers(dump);
  for (auto const& item : doc.as_array()) {
    auto const& o = item.as_object();
    std::string const id(o.at("id").as_string());
    canonical_row r;
    for (auto const& c : l) {
      auto const member = c.type == kind::lookup ? "_" + c.name + "_value" : c.name == "versionnumber" ? "version" : c.name;
      auto const* v = o.if_contains(member);
      if (v == nullptr) throw std::runtime_error(fmt::format("row {} has no {}", id, member));
      if (v->is_null()) {
        r.push_back("null");
        if (c.type == kind::decimal) r.push_back("null");
        continue;
      }
      switch (c.type) {
        case kind::text:
        case kind::date:
        case kind::datetime: r.push_back("text:" + std::string(v->as_string())); break;
        case kind::lookup:
        case kind::guid: {
          std::string g(v->as_string());
          std::transform(g.begin(), g.end(), g.begin(), [](unsigned char ch) { return std::tolower(ch); });
          r.push_back("text:" + g);
          break;
        }
        case kind::integer:
        case kind::choice: r.push_back("int:" + number_text(*v)); break;
        case kind::boolean: r.push_back(v->as_bool() ? "int:1" : "int:0"); break;
        case kind::real: r.push_back(real_text(std::strtod(number_text(*v).c_str(), nullptr))); break;
        case kind::decimal: {
          auto const digits = number_text(*v);
          r.push_back(real_text(std::strtod(digits.c_str(), nullptr)));
          r.push_back("text:" + digits);
          break;
        }
        case kind::choices: r.push_back("text:[" + std::string(v->as_string()) + "]"); break;
      }
    }
    r.push_back("int:" + number_text(o.at("version")));
    out.emplace(id, std::move(r));
  }
  return out;
}

// A read-only connection as schema/README.md tells readers to open one.
struct reader_connection {
  explicit reader_connection(std::string const& path) {
    auto const uri = "file:" + path + "?mode=ro";
    if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
      std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      throw std::runtime_error("open " + path + ": " + message);
    }
    sqlite3_busy_timeout(db, 5000);
  }
  ~reader_connection() { sqlite3_close(db); }
  reader_connection(reader_connection const&) = delete;
  reader_connection& operator=(reader_connection const&) = delete;

  // Every row of the result as canonical text.
  std::vector<canonical_row> query(std::string const& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
    std::vector<canonical_row> out;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      canonical_row r;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        switch (sqlite3_column_type(st, i)) {
          case SQLITE_NULL: r.push_back("null"); break;
          case SQLITE_INTEGER: r.push_back(fmt::format("int:{}", sqlite3_column_int64(st, i))); break;
          case SQLITE_FLOAT: r.push_back(real_text(sqlite3_column_double(st, i))); break;
          default: r.push_back("text:" + std::string(reinterpret_cast<char const*>(sqlite3_column_text(st, i)))); break;
        }
      }
      out.push_back(std::move(r));
    }
    std::string const message = sqlite3_errmsg(db);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + message);
    return out;
  }

  std::vector<std::string> column_names(std::string const& table) {
    std::vector<std::string> out;
    for (auto const& r : query(fmt::format("SELECT name FROM pragma_table_info('{}') ORDER BY cid", table)))
      out.push_back(r[0].substr(5));
    return out;
  }

  sqlite3* db = nullptr;
};

std::string text_of(std::string const& canonical) { return canonical.starts_with("text:") ? canonical.substr(5) : canonical; }

// The mirror's rows in the canonical form of expected_rows().
canonical_rows mirror_rows(reader_connection& c, std::string const& table, std::string const& id, layout const& l) {
  std::string select = fmt::format("\"{}\"", id);
  for (auto const& col : l) {
    select += fmt::format(", \"{}\"", col.name);
    if (col.type == kind::decimal) select += fmt::format(", \"dvsync_exact_{}\"", col.name);
  }
  canonical_rows out;
  for (auto& r : c.query(fmt::format("SELECT {}, dvsync_version FROM \"{}\"", select, table))) {
    auto key = text_of(r.front());
    r.erase(r.begin());
    out.emplace(std::move(key), std::move(r));
  }
  return out;
}

std::string describe(canonical_rows const& expected, canonical_rows const& actual, layout const& l) {
  std::vector<std::string> names;
  for (auto const& c : l) {
    names.push_back(c.name);
    if (c.type == kind::decimal) names.push_back("dvsync_exact_" + c.name);
  }
  names.push_back("dvsync_version");
  std::ostringstream out;
  int shown = 0;
  for (auto const& [id, row] : expected) {
    auto it = actual.find(id);
    if (it == actual.end()) {
      out << "missing " << id << "\n";
    } else if (it->second != row) {
      for (std::size_t i = 0; i < row.size() && i < it->second.size(); ++i)
        if (row[i] != it->second[i]) out << id << " " << names[i] << ": source " << row[i] << ", mirror " << it->second[i] << "\n";
    } else {
      continue;
    }
    if (++shown == 10) break;
  }
  for (auto const& [id, row] : actual)
    if (!expected.contains(id)) out << "extra " << id << "\n";
  return out.str();
}

// A reader that keeps opening read-only snapshots of one mirror table while the daemon runs, and
// counts the views that are not a complete table of one of the allowed layouts.
class snapshot_reader {
 public:
  snapshot_reader(std::string db_path, std::string table, std::vector<std::vector<std::string>> allowed,
                  std::int64_t rows)
      : db_path_(std::move(db_path)), table_(std::move(table)), allowed_(std::move(allowed)), rows_(rows),
        thread_([this] { loop(); }) {}
  ~snapshot_reader() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int reads() const { return reads_; }
  int partial() const { return partial_; }
  int errors() const { return errors_; }
  std::string problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  // Layouts seen, in the order first seen.
  std::vector<std::vector<std::string>> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void loop() {
    while (!stop_) {
      try {
        reader_connection c(db_path_);
        c.query("BEGIN");
        auto names = c.column_names(table_);
        auto count = std::stoll(c.query(fmt::format("SELECT count(*) FROM \"{}\"", table_))[0][0].substr(4));
        auto unversioned = c.query(fmt::format("SELECT count(*) FROM \"{}\" WHERE dvsync_version IS NULL", table_))[0][0];
        c.query("COMMIT");
        ++reads_;
        std::string problem;
        if (std::find(allowed_.begin(), allowed_.end(), names) == allowed_.end())
          problem = fmt::format("layout [{}]", fmt::join(names, ","));
        else if (count != rows_)
          problem = fmt::format("{} rows, not {}", count, rows_);
        else if (unversioned != "int:0")
          problem = "rows without a version: " + unversioned;
        std::lock_guard lock(mutex_);
        if (std::find(seen_.begin(), seen_.end(), names) == seen_.end()) seen_.push_back(names);
        if (!problem.empty()) {
          ++partial_;
          if (problems_.size() < 2000) problems_ += problem + "\n";
        }
      } catch (std::exception const& e) {
        ++errors_;
        std::lock_guard lock(mutex_);
        if (problems_.size() < 2000) problems_ += std::string("error: ") + e.what() + "\n";
      }
      std::this_thread::sleep_for(5ms);
    }
  }

  std::string db_path_;
  std::string table_;
  std::vector<std::vector<std::string>> allowed_;
  std::int64_t rows_;
  std::atomic<bool> stop_{false};
  std::atomic<int> reads_{0}, partial_{0}, errors_{0};
  mutable std::mutex mutex_;
  std::string problems_;
  std::vector<std::vector<std::string>> seen_;
  std::thread thread_;
};

// The end of a log, for failure messages.
std::string tail_of(std::string const& path) {
  auto text = read_file(path);
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

class real_tables_test : public daemon_test {
 protected:
  // Metadata is read again at every cycle's interval, so that run tests see a column added.
  void write_tables(std::string const& tables_json, config_overrides o = {}) {
    o.tables = tables_json;
    o.extra_sync = fmt::format(R"(, "metadata_refresh_s": {})", o.interval_s);
    write_config(o);
  }

  void seed(std::string const& entity_set, int count) {
    auto r = emulator_->control("seed", fmt::format(R"({{"entity_set":"{}","count":{}}})", entity_set, count));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  void change_columns(std::string const& body) {
    auto r = emulator_->control("columns", body);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // POSTs a record and returns its id (from OData-EntityId).
  std::string create(std::string const& entity_set, std::string const& body) {
    auto r = api("POST", entity_set, body);
    if (r.status != 204) throw std::runtime_error(fmt::format("POST {}: {} {}", entity_set, r.status, r.body));
    auto location = r.header("OData-EntityId").value_or("");
    auto open = location.rfind('('), close = location.rfind(')');
    if (open == std::string::npos || close == std::string::npos) throw std::runtime_error("no OData-EntityId: " + location);
    return location.substr(open + 1, close - open - 1);
  }

  // A GET of the Web API with the lookup target annotation, as a body.
  std::string get_annotated(std::string const& path) {
    if (token_.empty()) token_ = emulator_->token();
    auto headers = web_api_headers(token_);
    headers.emplace_back("Prefer", "odata.include-annotations=\"Microsoft.Dynamics.CRM.lookuplogicalname\"");
    auto r = http_call("GET", emulator_->api_url(path), {}, headers);
    if (r.status != 200) throw std::runtime_error(fmt::format("GET {}: {} {}", path, r.status, r.body));
    return r.body;
  }

  std::string dump(std::string const& entity_set) const {
    return emulator_->control_get("rows?entity_set=" + entity_set).body;
  }

  canonical_rows source_rows(std::string const& entity_set, layout const& l) const {
    return expected_rows(dump(entity_set), l);
  }

  canonical_rows mirrored(std::string const& table, std::string const& id, layout const& l) const {
    reader_connection c(db_path_);
    return mirror_rows(c, table, id, l);
  }

  std::vector<std::string> mirror_layout(std::string const& table) const {
    reader_connection c(db_path_);
    return c.column_names(table);
  }

  // The mirror table has exactly the layout's columns and the emulator's rows and values.
  void expect_table_equals_source(std::string const& table, std::string const& entity_set, std::string const& id,
                                  layout const& l) const {
    EXPECT_EQ(mirror_layout(table), mirror_names(id, l)) << table;
    auto const expected = source_rows(entity_set, l);
    auto const actual = mirrored(table, id, l);
    EXPECT_EQ(expected.size(), actual.size()) << table;
    EXPECT_TRUE(expected == actual) << table << ":\n" << describe(expected, actual, l);
  }

  // True once the mirror table has this layout and the source's rows.
  bool table_matches(std::string const& table, std::string const& entity_set, std::string const& id, layout const& l) const {
    try {
      return mirror_layout(table) == mirror_names(id, l) && source_rows(entity_set, l) == mirrored(table, id, l);
    } catch (std::exception const&) {
      return false;
    }
  }

  bool wait_until(std::function<bool()> const& done, std::chrono::seconds timeout) const {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }

  std::string table_state(std::string const& table, std::string const& column) const {
    return query_text(db_path_, fmt::format("SELECT {} FROM dvsync_table_state WHERE table_name = '{}'", column, table));
  }

  // Working tables of a cycle (dvsync_shadow_, _stage_, _side_, _sorted_) left in the database.
  std::string working_tables() const {
    return query_text(db_path_,
                      "SELECT group_concat(name, ',') FROM sqlite_master WHERE type = 'table' AND (name LIKE "
                      "'dvsync\\_shadow\\_%' ESCAPE '\\' OR name LIKE 'dvsync\\_stage\\_%' ESCAPE '\\' OR name LIKE "
                      "'dvsync\\_side\\_%' ESCAPE '\\' OR name LIKE 'dvsync\\_sorted\\_%' ESCAPE '\\')");
  }

  // The labels of the choice columns of a table as its metadata serves them: column -> value -> label.
  std::map<std::string, std::map<std::int64_t, std::string>> option_labels(std::string const& logical_name) {
    std::map<std::string, std::map<std::int64_t, std::string>> out;
    for (auto const* cast : {"PicklistAttributeMetadata", "StateAttributeMetadata", "StatusAttributeMetadata",
                             "MultiSelectPicklistAttributeMetadata"}) {
      std::string const expand = std::string(cast) == "PicklistAttributeMetadata" ||
                                         std::string(cast) == "MultiSelectPicklistAttributeMetadata"
                                     ? "OptionSet($select=Options),GlobalOptionSet($select=Options)"
                                     : "OptionSet($select=Options)";
      auto r = api("GET", fmt::format("EntityDefinitions(LogicalName='{}')/Attributes/Microsoft.Dynamics.CRM.{}"
                                      "?$select=LogicalName&$expand={}",
                                      logical_name, cast, expand));
      if (r.status != 200) throw std::runtime_error(fmt::format("{}: {} {}", cast, r.status, r.body));
      auto const doc = json::parse(r.body);
      for (auto const& a : doc.at("value").as_array()) {
        auto const& o = a.as_object();
        auto& labels = out[std::string(o.at("LogicalName").as_string())];
        for (auto const* member : {"OptionSet", "GlobalOptionSet"}) {
          auto const* set = o.if_contains(member);
          if (set == nullptr || !set->is_object()) continue;
          for (auto const& option : set->as_object().at("Options").as_array()) {
            auto const& op = option.as_object();
            labels[op.at("Value").to_number<std::int64_t>()] =
                std::string(op.at("Label").at("UserLocalizedLabel").at("Label").as_string());
          }
        }
      }
    }
    return out;
  }
};

std::string const both_tables = R"([{"logical_name":"account"},{"logical_name":"contact"}])";

config_overrides paged(int page_size, int interval_s = 60) {
  config_overrides o;
  o.page_size = page_size;
  o.interval_s = interval_s;
  return o;
}

// 1. Discovery lists the tables with their change tracking and keys, and shows one table's entry,
// what is left out and the CREATE TABLE.
TEST_F(real_tables_test, discover_lists_the_tables_and_shows_the_entry_and_create_table_of_one) {
  auto list = dvsync({"discover"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (!w.empty()) rows[w[0]] = w;
  }
  using v = std::vector<std::string>;
  EXPECT_EQ(rows["account"], (v{"account", "accounts", "on", "-"})) << list.out;
  EXPECT_EQ(rows["contact"], (v{"contact", "contacts", "on", "-"})) << list.out;
  EXPECT_EQ(rows["sample_book"], (v{"sample_book", "sample_books", "on", "sample_bookcode", "(sample_bookcode)"})) << list.out;
  EXPECT_EQ(rows["sample_note"], (v{"sample_note", "sample_notes", "off", "-"})) << list.out;

  auto account = dvsync({"discover", "--table", "account"});
  ASSERT_EQ(account.exit_code, 0) << account.err;
  auto const& out = account.out;
  EXPECT_TRUE(contains(out, R"({"logical_name": "account"})")) << out;
  for (auto const* left_out : {"#   entityimage: an Image column", "#   sample_contractfile: a File column",
                               "#   primarycontactidname: part of primarycontactid", "#   owneridtype: part of ownerid",
                               "#   industrycodename: not readable"})
    EXPECT_TRUE(contains(out, left_out)) << left_out << "\n" << out;
  auto const create_at = out.find("CREATE TABLE");
  ASSERT_NE(create_at, std::string::npos) << out;
  auto const create = out.substr(create_at);
  for (auto const* typed : {R"("accountid" TEXT PRIMARY KEY NOT NULL)", R"("name" TEXT)", R"("revenue" REAL)",
                            R"("dvsync_exact_revenue" TEXT)", R"("dvsync_exact_sample_ledgerbalance" TEXT)",
                            R"("numberofemployees" INTEGER)", R"("sample_externalid" INTEGER)", R"("creditonhold" INTEGER)",
                            R"("address1_latitude" REAL)", R"("industrycode" INTEGER)", R"("primarycontactid" TEXT)",
                            R"("sample_foundedon" TEXT)", R"("sample_channels" TEXT)", R"("ownerid" TEXT)",
                            R"("owneridtype" TEXT)", R"("dvsync_version" INTEGER)"})
    EXPECT_TRUE(contains(create, typed)) << typed << "\n" << create;
  EXPECT_FALSE(contains(create, "entityimage")) << create;
  EXPECT_FALSE(contains(create, "sample_contractfile")) << create;
  EXPECT_FALSE(contains(create, "primarycontactidname")) << create;

  auto note = dvsync({"discover", "--table", "sample_note"});
  EXPECT_TRUE(contains(note.out, "change tracking is OFF for sample_note")) << note.out << note.err;
  EXPECT_TRUE(contains(note.out, "Track changes")) << note.out;

  auto book = dvsync({"discover", "--table", "sample_book"});
  ASSERT_EQ(book.exit_code, 0) << book.err;
  EXPECT_TRUE(contains(book.out, "alternate keys")) << book.out;
  EXPECT_TRUE(contains(book.out, "sample_bookcode (sample_bookcode)")) << book.out;
}

// 1b. A real organization lists internal and intersect tables with a null EntitySetName. They are
// left out of discovery, which says how many, and an entry naming only its entity set still finds
// its table in the list.
TEST_F(real_tables_test, tables_without_an_entity_set_are_left_out_of_the_list_not_fatal) {
  std::string const list_path = "EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute,"
                                "PrimaryNameAttribute,ChangeTrackingEnabled&$expand=Keys($select=LogicalName,KeyAttributes)";
  auto real = api("GET", list_path);
  ASSERT_EQ(real.status, 200) << real.body;
  auto list = json::parse(real.body);
  for (auto const* name : {"sample_intersect", "sample_internal"})
    list.at("value").as_array().push_back(json::parse(fmt::format(
        R"({{"LogicalName":"{}","EntitySetName":null,"PrimaryIdAttribute":"{}id","ChangeTrackingEnabled":false,"Keys":[]}})",
        name, name)));
  faults(fmt::format(R"([{{"match":{{"path":"EntityDefinitions?"}},"count":-1,"status":200,"body":{}}}])",
                     json::serialize(list)));

  auto discover = dvsync({"discover"});
  ASSERT_EQ(discover.exit_code, 0) << discover.err;
  EXPECT_TRUE(contains(discover.out, "sample_books")) << discover.out;
  EXPECT_FALSE(contains(discover.out, "sample_intersect")) << discover.out;
  EXPECT_TRUE(contains(discover.out, "# 2 more left out: no EntitySetName or PrimaryIdAttribute")) << discover.out;

  // The default entry names only sample_books: its logical name comes from that list.
  seed("sample_books", 4);
  write_config();
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM sample_book"), "4");
}

// 2. Every Dataverse type, stored with its SQLite type, equal to the emulator's rows.
TEST_F(real_tables_test, stores_every_type_with_its_sqlite_type_and_the_values_of_the_source) {
  seed("contacts", 6);
  seed("accounts", 12);
  create("accounts", R"({"name":"Nulls everywhere"})");
  write_tables(both_tables);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;

  expect_table_equals_source("account", "accounts", "accountid", account_columns);
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);

  auto const count = [&](std::string const& sql) { return std::stoll(query_text(db_path_, sql)); };
  auto const storage_class = [](kind k) {
    switch (k) {
      case kind::integer:
      case kind::boolean:
      case kind::choice: return "integer";
      case kind::real:
      case kind::decimal: return "real";
      default: return "text";
    }
  };
  for (auto const& [table, columns] : {std::pair{"account", &account_columns}, std::pair{"contact", &contact_columns}}) {
    for (auto const& c : *columns) {
      auto const where = fmt::format("FROM {} WHERE \"{}\" IS NOT NULL", table, c.name);
      auto const typed = count(fmt::format("SELECT count(*) {}", where));
      EXPECT_GT(typed, 0) << table << "." << c.name << " is never set: the test proves nothing about it";
      EXPECT_EQ(count(fmt::format("SELECT count(*) {} AND typeof(\"{}\") <> '{}'", where, c.name, storage_class(c.type))), 0)
          << table << "." << c.name << " is not " << storage_class(c.type);
      std::string format;
      switch (c.type) {
        case kind::boolean: format = fmt::format("\"{}\" NOT IN (0, 1)", c.name); break;
        case kind::datetime:
          format = fmt::format("\"{}\" NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z'",
                               c.name);
          break;
        case kind::date: format = fmt::format("\"{}\" NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'", c.name); break;
        case kind::lookup:
        case kind::guid:
          format = fmt::format("(\"{0}\" <> lower(\"{0}\") OR length(\"{0}\") <> 36)", c.name);
          break;
        case kind::choices: format = fmt::format("\"{}\" NOT GLOB '[[][0-9]*]'", c.name); break;
        case kind::decimal:
          format = fmt::format("(typeof(\"dvsync_exact_{0}\") <> 'text' OR \"dvsync_exact_{0}\" NOT GLOB '*[0-9]')", c.name);
          break;
        default: break;
      }
      if (!format.empty()) {
        EXPECT_EQ(count(fmt::format("SELECT count(*) {} AND {}", where, format)), 0) << table << "." << c.name << ": " << format;
      }
    }
  }
  EXPECT_EQ(query_text(db_path_, "SELECT sample_channels FROM account WHERE sample_channels LIKE '%,%' LIMIT 1").front(), '[');

  // Polymorphic lookups: the target's logical name, as the service annotates it.
  auto const targets = [&](std::string const& entity_set, std::string const& id, std::vector<std::string> const& lookups) {
    std::map<std::string, std::vector<std::string>> out;
    auto const body = json::parse(get_annotated(fmt::format("{}?$select={}", entity_set, fmt::format("_{}_value", fmt::join(lookups, "_value,_")))));
    for (auto const& item : body.at("value").as_array()) {
      auto const& o = item.as_object();
      auto& row = out[std::string(o.at(id).as_string())];
      for (auto const& l : lookups) {
        auto const* t = o.if_contains(fmt::format("_{}_value@Microsoft.Dynamics.CRM.lookuplogicalname", l));
        row.push_back(t != nullptr && t->is_string() ? std::string(t->as_string()) : "");
      }
    }
    return out;
  };
  auto const stored = [&](std::string const& table, std::string const& id, std::vector<std::string> const& lookups) {
    reader_connection c(db_path_);
    std::map<std::string, std::vector<std::string>> out;
    std::string select;
    for (auto const& l : lookups) select += fmt::format(", coalesce(\"{}type\", '')", l);
    for (auto const& row : c.query(fmt::format("SELECT \"{}\"{} FROM \"{}\"", id, select, table))) {
      auto& r = out[text_of(row[0])];
      for (std::size_t i = 1; i < row.size(); ++i) r.push_back(text_of(row[i]));
    }
    return out;
  };
  auto const account_targets = targets("accounts", "accountid", {"ownerid"});
  EXPECT_EQ(stored("account", "accountid", {"ownerid"}), account_targets);
  auto const contact_targets = targets("contacts", "contactid", {"parentcustomerid", "ownerid"});
  EXPECT_EQ(stored("contact", "contactid", {"parentcustomerid", "ownerid"}), contact_targets);
  std::set<std::string> kinds;
  for (auto const& [id, t] : contact_targets) kinds.insert(t.begin(), t.end());
  EXPECT_TRUE(kinds.contains("systemuser") || kinds.contains("team")) << fmt::format("{}", fmt::join(kinds, ","));
  EXPECT_TRUE(kinds.contains("account") || kinds.contains("contact")) << fmt::format("{}", fmt::join(kinds, ","));
  // A non-polymorphic lookup gets no target column.
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM pragma_table_info('account') WHERE name = 'primarycontactidtype'"), "0");
}

// 3. Money keeps the digits the service sent beside a REAL that sorts and sums.
TEST_F(real_tables_test, money_keeps_the_exact_digits_served_beside_a_real_that_sums_and_sorts) {
  auto const large = create("accounts", R"({"name":"Largest","sample_ledgerbalance":922337203685477.5807,"revenue":0.1})");
  auto const small = create("accounts", R"({"name":"Tenth","sample_ledgerbalance":0.1})");
  auto const negative = create("accounts", R"({"name":"Negative","sample_ledgerbalance":-922337203685477.5808})");
  write_tables(R"([{"logical_name":"account"}])");
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::regex const served_money(R"re("sample_ledgerbalance":(-?[0-9.]+))re");
  for (auto const& id : {large, small, negative}) {
    auto r2 = api("GET", fmt::format("accounts({})?$select=sample_ledgerbalance", id));
    ASSERT_EQ(r2.status, 200) << r2.body;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r2.body, m, served_money)) << r2.body;
    EXPECT_EQ(query_text(db_path_, fmt::format("SELECT dvsync_exact_sample_ledgerbalance FROM account WHERE accountid = '{}'", id)),
              m[1].str());
    EXPECT_EQ(query_text(db_path_, fmt::format("SELECT typeof(sample_ledgerbalance) FROM account WHERE accountid = '{}'", id)),
              "real");
  }
  // What the emulator serves for the two written values: four decimals, every digit kept.
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT dvsync_exact_sample_ledgerbalance FROM account WHERE accountid = '{}'", large)),
            "922337203685477.5807");
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT dvsync_exact_sample_ledgerbalance FROM account WHERE accountid = '{}'", small)),
            "0.1000");
  EXPECT_EQ(query_text(db_path_, "SELECT group_concat(name, ',') FROM (SELECT name FROM account ORDER BY sample_ledgerbalance)"),
            "Negative,Tenth,Largest");
  EXPECT_EQ(query_text(db_path_, "SELECT abs(SUM(sample_ledgerbalance) - 922337203685477.6) < 1 FROM account WHERE "
                                 "sample_ledgerbalance > 0"),
            "1");
  EXPECT_EQ(query_text(db_path_, "SELECT abs(SUM(sample_ledgerbalance)) < 1 FROM account"), "1");
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT sample_ledgerbalance = 0.1 FROM account WHERE accountid = '{}'", small)), "1");
  expect_table_equals_source("account", "accounts", "accountid", account_columns);
}

// 4. <table>_labeled shows the labels of the emulator's option sets, to a plain read-only reader.
TEST_F(real_tables_test, labeled_view_shows_the_option_set_labels_to_a_plain_reader) {
  seed("contacts", 4);
  seed("accounts", 15);
  create("accounts", R"({"name":"No choices"})");
  write_tables(both_tables);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto const labels = option_labels("account");
  ASSERT_FALSE(labels.at("industrycode").empty());
  ASSERT_FALSE(labels.at("sample_channels").empty());
  reader_connection c(db_path_);
  auto const rows = c.query(
      "SELECT industrycode, industrycode_label, customertypecode, customertypecode_label, statecode, statecode_label, "
      "statuscode, statuscode_label, sample_channels, sample_channels_label FROM account_labeled");
  ASSERT_EQ(rows.size(), 16u);
  int multi = 0;
  for (auto const& row : rows) {
    for (std::size_t i = 0; i < 8; i += 2) {
      static char const* const names[] = {"industrycode", "customertypecode", "statecode", "statuscode"};
      auto const& options = labels.at(names[i / 2]);
      if (row[i] == "null") {
        EXPECT_EQ(row[i + 1], "null");
        continue;
      }
      EXPECT_EQ(text_of(row[i + 1]), options.at(std::stoll(row[i].substr(4)))) << names[i / 2] << " " << row[i];
    }
    if (row[8] == "null") {
      EXPECT_EQ(row[9], "null");
      continue;
    }
    auto values = text_of(row[8]);
    std::vector<std::string> expected;
    std::istringstream in(values.substr(1, values.size() - 2));
    for (std::string v; std::getline(in, v, ',');) expected.push_back(labels.at("sample_channels").at(std::stoll(v)));
    multi += expected.size() > 1 ? 1 : 0;
    EXPECT_EQ(text_of(row[9]), fmt::format("{}", fmt::join(expected, ", "))) << values;
  }
  EXPECT_GT(multi, 0) << "no row with several channels: the join is not tested";

  auto const contact_labels = option_labels("contact");
  for (auto const& row : c.query("SELECT gendercode, gendercode_label FROM contact_labeled WHERE gendercode IS NOT NULL"))
    EXPECT_EQ(text_of(row[1]), contact_labels.at("gendercode").at(std::stoll(row[0].substr(4))));

  // The sqlite3 shell, read-only, with the default (untrusting) settings.
  if (std::filesystem::exists("/usr/bin/sqlite3")) {
    auto shell = run_process({"/usr/bin/sqlite3", "-readonly", db_path_,
                              "SELECT count(*) FROM account_labeled WHERE industrycode_label IS NOT NULL AND "
                              "sample_channels_label LIKE '%, %'"});
    EXPECT_EQ(shell.exit_code, 0) << shell.err;
    EXPECT_EQ(shell.out, fmt::format("{}\n", multi)) << shell.err;
  }
}

// 5. A table with no alternate key is keyed by its GUID: creates, updates and deletes between cycles.
TEST_F(real_tables_test, table_keyed_by_its_guid_follows_creates_updates_and_deletes) {
  seed("contacts", 3);
  seed("accounts", 5);
  write_tables(both_tables, paged(4));
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM pragma_table_info('account') WHERE name = 'accountid' AND pk = 1"), "1");
  expect_table_equals_source("account", "accounts", "accountid", account_columns);

  auto const a = create("accounts", R"({"name":"A","revenue":12.5,"industrycode":3,"sample_channels":"1,3","creditonhold":true})");
  auto const b = create("accounts", R"({"name":"B","sample_foundedon":"2001-02-03","lastonholdtime":"2024-05-06T07:08:09Z"})");
  auto const c = create("accounts", R"({"name":"C","numberofemployees":7})");
  auto second = once();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "account: delta cycle")) << second.out;
  expect_table_equals_source("account", "accounts", "accountid", account_columns);
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM account"), "8");

  ASSERT_EQ(api("PATCH", fmt::format("accounts({})", a), R"({"revenue":99.99,"sample_channels":"2","creditonhold":false})").status, 204);
  ASSERT_EQ(api("DELETE", fmt::format("accounts({})", b)).status, 204);
  auto const d = create("accounts", R"({"name":"D"})");
  auto third = once();
  ASSERT_EQ(third.exit_code, 0) << third.err;
  expect_table_equals_source("account", "accounts", "accountid", account_columns);
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT count(*) FROM account WHERE accountid = '{}'", b)), "0");
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT dvsync_exact_revenue || ' ' || sample_channels FROM account WHERE accountid = '{}'", a)),
            "99.9900 [2]");

  for (auto const& id : {a, c, d}) ASSERT_EQ(api("DELETE", fmt::format("accounts({})", id)).status, 204);
  auto fourth = once();
  ASSERT_EQ(fourth.exit_code, 0) << fourth.err;
  EXPECT_TRUE(contains(fourth.out, "3 deletes")) << fourth.out;
  expect_table_equals_source("account", "accounts", "accountid", account_columns);
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM account"), "5");
  EXPECT_EQ(integrity_check(db_path_), "ok");
}

// 6. `dvsync run` notices a column added and one removed in Dataverse and rebuilds the table
// beside the old one; a reader never sees a partial table, and the other table keeps syncing.
TEST_F(real_tables_test, run_migrates_a_column_added_and_one_removed_while_a_reader_reads) {
  seed("contacts", 3);
  seed("accounts", 24);
  write_tables(both_tables, paged(5, 1));
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return table_matches("account", "accounts", "accountid", account_columns); }, 30s))
      << tail_of((dir_ / "daemon.log").string());
  ASSERT_TRUE(wait_until([&] { return table_matches("contact", "contacts", "contactid", contact_columns); }, 10s));

  column const region{"sample_region", kind::text};
  auto const added = with(account_columns, region);
  auto const removed = without(added, "accountnumber");
  snapshot_reader reader(db_path_, "account",
                         {mirror_names("accountid", account_columns), mirror_names("accountid", added),
                          mirror_names("accountid", removed), mirror_names("accountid", without(account_columns, "accountnumber"))},
                         24);
  auto const contact_success = table_state("contact", "last_success_at");

  change_columns(R"({"entity_set":"accounts","add":{"name":"sample_region","type":"String","max_length":50}})");
  auto const rows = json::parse(dump("accounts")).as_array();
  for (std::size_t i = 0; i < 6; ++i)
    ASSERT_EQ(api("PATCH", fmt::format("accounts({})", rows[i].at("id").as_string().c_str()),
                  fmt::format(R"({{"sample_region":"region-{}"}})", i))
                  .status,
              204);
  bool const add_seen = wait_until([&] { return table_matches("account", "accounts", "accountid", added); }, 20s);
  EXPECT_TRUE(add_seen) << "the added column never reached the mirror; layout now: "
                        << fmt::format("{}", fmt::join(mirror_layout("account"), ","));
  // The other table kept syncing meanwhile.
  EXPECT_TRUE(wait_until([&] { return table_state("contact", "last_success_at") > contact_success; }, 10s));

  change_columns(R"({"entity_set":"accounts","remove":"accountnumber"})");
  ASSERT_TRUE(wait_until([&] { return table_matches("account", "accounts", "accountid", removed); }, 30s))
      << "layout now: " << fmt::format("{}", fmt::join(mirror_layout("account"), ",")) << "\n"
      << tail_of((dir_ / "daemon.log").string());
  auto const contact_after = table_state("contact", "last_success_at");
  EXPECT_TRUE(wait_until([&] { return table_state("contact", "last_success_at") > contact_after; }, 10s));
  std::this_thread::sleep_for(500ms);
  reader.stop();

  EXPECT_EQ(reader.partial(), 0) << reader.problems();
  EXPECT_EQ(reader.errors(), 0) << reader.problems();
  EXPECT_GT(reader.reads(), 20);
  EXPECT_GE(reader.seen().size(), 2u);
  expect_table_equals_source("account", "accounts", "accountid", removed);
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM account WHERE sample_region IS NOT NULL"), "6");
  EXPECT_EQ(working_tables(), "");
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0);
  EXPECT_EQ(integrity_check(db_path_), "ok");
}

// 6b. With the default metadata refresh (an hour) no routine re-read finds a removed column: the
// service refuses the $select that still names it, and that refusal alone makes the same cycle
// read the metadata again and carry on with the table as it is now.
TEST_F(real_tables_test, a_column_removed_between_metadata_reads_is_found_by_the_refused_select) {
  seed("contacts", 3);
  seed("accounts", 12);
  config_overrides o = paged(5, 1);
  o.tables = both_tables;
  write_config(o);
  auto daemon = start_daemon();
  auto const log = (dir_ / "daemon.log").string();
  ASSERT_TRUE(wait_until([&] { return table_matches("account", "accounts", "accountid", account_columns); }, 30s))
      << tail_of(log);
  ASSERT_TRUE(wait_until([&] { return table_matches("contact", "contacts", "contactid", contact_columns); }, 10s));
  auto const metadata_reads = metadata_requests();

  change_columns(R"({"entity_set":"accounts","remove":"accountnumber"})");
  auto const removed = without(account_columns, "accountnumber");
  ASSERT_TRUE(wait_until([&] { return table_matches("account", "accounts", "accountid", removed); }, 30s))
      << "layout now: " << fmt::format("{}", fmt::join(mirror_layout("account"), ",")) << "\n"
      << tail_of(log);
  EXPECT_GE(requests("/accounts", 400), 1u) << "the removal was found some other way than by the refused $select";
  EXPECT_GT(metadata_requests(), metadata_reads);
  auto const text = read_file(log);
  EXPECT_TRUE(contains(text, "metadata.changed")) << tail_of(log);
  EXPECT_TRUE(contains(text, "Could not find a property named 'accountnumber'")) << tail_of(log);
  EXPECT_FALSE(contains(text, "cycle.failed")) << tail_of(log);

  // Both tables go on: a new account arrives without the column, the contact keeps succeeding.
  auto const contact_success = table_state("contact", "last_success_at");
  create("accounts", R"({"name":"After the removal"})");
  EXPECT_TRUE(wait_until([&] { return table_matches("account", "accounts", "accountid", removed); }, 20s))
      << tail_of(log);
  EXPECT_TRUE(wait_until([&] { return table_state("contact", "last_success_at") > contact_success; }, 10s));
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM account"), "13");
  EXPECT_EQ(table_state("account", "last_error"), "");
  EXPECT_EQ(working_tables(), "");
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0);
  EXPECT_FALSE(contains(read_file(log), "cycle.failed")) << tail_of(log);
  EXPECT_EQ(integrity_check(db_path_), "ok");
}

// 6c. A table deleted in Dataverse while the daemon runs: its delta link gets 404, the metadata is
// read again at once (not an hour later), and the table's error is the catalog's "no such table"
// naming it. Its mirror stays as it was; the other table goes on.
TEST_F(real_tables_test, a_table_deleted_while_running_fails_with_no_such_table_and_the_others_go_on) {
  seed("contacts", 3);
  seed("accounts", 7);
  config_overrides o = paged(5, 1);
  o.tables = both_tables;
  write_config(o);
  auto daemon = start_daemon();
  auto const log = (dir_ / "daemon.log").string();
  ASSERT_TRUE(wait_until([&] { return table_matches("account", "accounts", "accountid", account_columns); }, 30s))
      << tail_of(log);
  auto const account_before = mirrored("account", "accountid", account_columns);

  auto removed = emulator_->control("remove-table", R"({"entity_set":"accounts"})");
  ASSERT_EQ(removed.status, 200) << removed.body;
  ASSERT_TRUE(wait_until([&] { return contains(table_state("account", "last_error"), "no such table"); }, 20s))
      << table_state("account", "last_error") << "\n"
      << tail_of(log);
  EXPECT_TRUE(contains(table_state("account", "last_error"), "table account")) << table_state("account", "last_error");
  EXPECT_GE(requests("/accounts", 404), 1u);
  EXPECT_TRUE(contains(read_file(log), "metadata.changed")) << tail_of(log);

  auto const contact_success = table_state("contact", "last_success_at");
  create("contacts", R"({"fullname":"After the deletion"})");
  EXPECT_TRUE(wait_until([&] { return table_matches("contact", "contacts", "contactid", contact_columns); }, 20s))
      << tail_of(log);
  EXPECT_TRUE(wait_until([&] { return table_state("contact", "last_success_at") > contact_success; }, 10s));
  auto status = dvsync({"status"});
  EXPECT_TRUE(contains(status.out, "no such table")) << status.out;
  EXPECT_FALSE(contains(status.out, "Resource not found")) << status.out;
  EXPECT_TRUE(mirrored("account", "accountid", account_columns) == account_before) << "the account mirror changed";
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0);
  EXPECT_EQ(integrity_check(db_path_), "ok");
}

// 7. Other columns in the configuration rebuild the table (no refusal); the old one stays readable
// and complete until the rebuild commits.
TEST_F(real_tables_test, config_column_change_rebuilds_the_table_while_the_old_one_stays_readable) {
  seed("accounts", 60);
  layout const before = {{"name", kind::text}, {"revenue", kind::decimal}};
  layout const after = {{"name", kind::text}, {"numberofemployees", kind::integer}, {"industrycode", kind::choice}};
  write_tables(R"([{"logical_name":"account","columns":["name","revenue"]}])", paged(20));
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  expect_table_equals_source("account", "accounts", "accountid", before);

  write_tables(R"([{"logical_name":"account","columns":["name","numberofemployees","industrycode"]}])", paged(20));
  faults(R"([{"match":{"method":"GET","path":"accounts?","skip":1},"delay_ms":4000,"count":1}])");
  auto rebuild = child({dvsync_binary(), "once", "--config", config_path_}, secret_env(), (dir_ / "rebuild.log").string());
  ASSERT_TRUE(wait_until([&] { return table_state("account", "pages_staged") == "1"; }, 20s))
      << tail_of((dir_ / "rebuild.log").string());
  EXPECT_EQ(table_state("account", "cycle_kind"), "full");
  EXPECT_EQ(table_state("account", "cycle_reason"), "columns_changed");
  // Mid-rebuild: the old table, whole, with the old columns.
  expect_table_equals_source("account", "accounts", "accountid", before);
  EXPECT_NE(working_tables(), "");

  ASSERT_EQ(rebuild.wait(30s), 0) << tail_of((dir_ / "rebuild.log").string());
  expect_table_equals_source("account", "accounts", "accountid", after);
  EXPECT_EQ(working_tables(), "");
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM account_labeled WHERE industrycode IS NOT NULL AND industrycode_label IS NULL"),
            "0");
  auto idle = once();
  ASSERT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_TRUE(contains(idle.out, "account: delta cycle")) << idle.out;
}

// 8. kill -9 in the middle of the full read of a migration: the old table stays whole, and the
// restart converges to the new columns with no working tables left.
TEST_F(real_tables_test, kill_during_a_migration_then_restart_converges) {
  seed("contacts", 3);
  seed("accounts", 600);
  write_tables(both_tables, paged(50));
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  expect_table_equals_source("account", "accounts", "accountid", account_columns);

  auto const synced = mirrored("account", "accountid", account_columns);
  column const region{"sample_region", kind::text};
  auto const added = with(account_columns, region);
  change_columns(R"({"entity_set":"accounts","add":{"name":"sample_region","type":"String","max_length":50}})");
  auto const rows = json::parse(dump("accounts")).as_array();
  for (std::size_t i = 0; i < 4; ++i)
    ASSERT_EQ(api("PATCH", fmt::format("accounts({})", rows[i * 100].at("id").as_string().c_str()),
                  fmt::format(R"({{"sample_region":"region-{}"}})", i))
                  .status,
              204);

  snapshot_reader reader(db_path_, "account",
                         {mirror_names("accountid", account_columns), mirror_names("accountid", added)}, 600);
  faults(R"([{"match":{"method":"GET","path":"accounts?","skip":5},"delay_ms":30000,"count":1}])");
  {
    auto killed = child({dvsync_binary(), "once", "--config", config_path_}, secret_env(), (dir_ / "killed.log").string());
    ASSERT_TRUE(wait_until([&] { return table_state("account", "pages_staged") == "5"; }, 30s))
        << tail_of((dir_ / "killed.log").string());
    EXPECT_EQ(table_state("account", "cycle_kind"), "full");
    EXPECT_EQ(table_state("account", "cycle_reason"), "columns_changed");
    killed.signal(SIGKILL);
    EXPECT_EQ(killed.wait(5s), -SIGKILL);
  }
  ASSERT_EQ(emulator_->control("faults", "[]").status, 200);
  // Killed mid-migration: the old table as the first cycle left it; the new one half built beside it.
  EXPECT_EQ(mirror_layout("account"), mirror_names("accountid", account_columns));
  EXPECT_TRUE(mirrored("account", "accountid", account_columns) == synced);
  EXPECT_TRUE(contains(working_tables(), "dvsync_shadow_account")) << working_tables();
  EXPECT_EQ(integrity_check(db_path_), "ok");

  auto restart = once();
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  reader.stop();
  expect_table_equals_source("account", "accounts", "accountid", added);
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM account WHERE sample_region IS NOT NULL"), "4");
  EXPECT_EQ(working_tables(), "");
  EXPECT_EQ(table_state("account", "cycle_kind"), "");
  EXPECT_EQ(integrity_check(db_path_), "ok");
  EXPECT_EQ(reader.partial(), 0) << reader.problems();
  EXPECT_EQ(reader.errors(), 0) << reader.problems();
  EXPECT_GT(reader.reads(), 5);
  auto idle = once();
  ASSERT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_TRUE(contains(idle.out, "account: delta cycle, 1 page, 0 upserts")) << idle.out;
}

// 8c. kill -9 at each step of a migration, from its pages to the commit that swaps the tables and
// just after: before that commit readers see the old table whole, after it the new one; the next
// run converges either way.
TEST_F(real_tables_test, kill_at_each_step_of_a_migration_converges_and_readers_see_one_whole_table) {
#if !DVSYNC_CRASH_POINTS_BUILT
  GTEST_SKIP() << "dvsync was built without DVSYNC_CRASH_POINTS";
#endif
  seed("accounts", 300);
  write_tables(R"([{"logical_name":"account"}])", paged(50));
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  layout columns = account_columns;
  int n = 0;
  // 300 rows in pages of 50: five pages commit with their cursor, the sixth commit swaps the tables.
  for (auto const* point : {"mid_apply:3", "after_commit:5", "final_merge", "before_commit", "after_commit:6"}) {
    SCOPED_TRACE(point);
    auto const name = fmt::format("sample_region{}", ++n);
    change_columns(fmt::format(R"({{"entity_set":"accounts","add":{{"name":"{}","type":"String","max_length":50}}}})", name));
    auto const added = with(columns, column{name, kind::text});
    snapshot_reader reader(db_path_, "account", {mirror_names("accountid", columns), mirror_names("accountid", added)}, 300);
    auto killed = dvsync({"once"}, {{"DVSYNC_CRASH_AT", point}});
    EXPECT_EQ(killed.signal, SIGKILL) << killed.err;
    EXPECT_TRUE(contains(killed.err, "crash point")) << killed.err;
    EXPECT_EQ(integrity_check(db_path_), "ok");
    // Until the commit that swaps them, the old table; from it on, the new one.
    bool const committed = std::string_view(point) == "after_commit:6";
    EXPECT_EQ(mirror_layout("account"), mirror_names("accountid", committed ? added : columns));
    auto restart = once();
    ASSERT_EQ(restart.exit_code, 0) << restart.err;
    reader.stop();
    expect_table_equals_source("account", "accounts", "accountid", added);
    EXPECT_EQ(working_tables(), "");
    EXPECT_EQ(table_state("account", "cycle_kind"), "");
    EXPECT_EQ(reader.partial(), 0) << reader.problems();
    EXPECT_EQ(reader.errors(), 0) << reader.problems();
    EXPECT_GT(reader.reads(), 0);
    columns = added;
  }
}

// 9. A table whose change tracking is off is refused before its first cycle; the others sync.
TEST_F(real_tables_test, change_tracking_off_is_refused_and_the_other_tables_sync) {
  seed("contacts", 3);
  seed("accounts", 5);
  write_tables(R"([{"logical_name":"sample_note"},{"logical_name":"account"},{"logical_name":"contact"}])");
  auto r = once();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out + r.err, "sample_note")) << r.out << r.err;
  EXPECT_TRUE(contains(r.out + r.err, "Track changes")) << r.out << r.err;
  EXPECT_EQ(requests("/sample_notes"), 0u) << "the table was read";
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM sqlite_master WHERE name = 'sample_note'"), "0");
  expect_table_equals_source("account", "accounts", "accountid", account_columns);
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
  EXPECT_TRUE(contains(table_state("sample_note", "last_error"), "Track changes"));

  auto status = dvsync({"status"});
  EXPECT_TRUE(contains(status.out, "sample_note")) << status.out;
  EXPECT_TRUE(contains(status.out, "change tracking is off for sample_note")) << status.out;
  EXPECT_TRUE(contains(status.out, "Track changes")) << status.out;
}

// 10. Metadata the daemon cannot use (an unknown type, a missing field, a table gone): an error
// naming the table and attribute; the other tables go on; the mirror of that table stays as it was.
TEST_F(real_tables_test, bad_metadata_stops_only_its_table_and_leaves_its_mirror_untouched) {
  seed("contacts", 3);
  seed("accounts", 5);
  write_tables(both_tables);
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto const account_before = mirrored("account", "accountid", account_columns);
  auto const link_before = stored_delta_link(db_path_, "account");

  std::string const table_path = "EntityDefinitions(LogicalName='account')?";
  auto real = api("GET", "EntityDefinitions(LogicalName='account')?$select=LogicalName,EntitySetName,PrimaryIdAttribute,"
                         "PrimaryNameAttribute,ChangeTrackingEnabled&$expand=Attributes($select=LogicalName,AttributeType,"
                         "AttributeTypeName,IsValidForRead,AttributeOf),Keys($select=LogicalName,KeyAttributes)");
  ASSERT_EQ(real.status, 200) << real.body;
  auto unknown_type = json::parse(real.body);
  for (auto& a : unknown_type.at("Attributes").as_array())
    if (a.at("LogicalName") == "numberofemployees") a.as_object()["AttributeType"] = "Hologram";
  auto no_entity_set = json::parse(real.body);
  no_entity_set.as_object().erase("EntitySetName");

  struct bad_case {
    std::string name;
    std::string fault;
    std::vector<std::string> message;
  };
  std::vector<bad_case> const cases = {
      {"unknown AttributeType",
       fmt::format(R"([{{"match":{{"path":"{}"}},"status":200,"body":{}}}])", table_path, json::serialize(unknown_type)),
       {"table account", "numberofemployees", "Hologram", "exclude_columns"}},
      {"missing EntitySetName",
       fmt::format(R"([{{"match":{{"path":"{}"}},"status":200,"body":{}}}])", table_path, json::serialize(no_entity_set)),
       {"table account", "EntitySetName"}},
      {"table gone (404)",
       fmt::format(R"([{{"match":{{"path":"{}"}},"status":404,"body":{{"error":{{"code":"0x80040217","message":"Could not find entity with key 'account'."}}}}}}])",
                   table_path),
       {"table account", "no such table"}},
  };
  int n = 0;
  for (auto const& c : cases) {
    SCOPED_TRACE(c.name);
    // Changes on both sides: contact must follow them, account must not.
    create("accounts", fmt::format(R"({{"name":"Not mirrored {}"}})", n));
    create("contacts", fmt::format(R"({{"fullname":"Contact {}"}})", n++));
    faults(c.fault);
    auto r = once();
    EXPECT_NE(r.exit_code, 0) << r.out;
    for (auto const& m : c.message) {
      EXPECT_TRUE(contains(r.out + r.err, m)) << m << "\n" << r.out << r.err;
      EXPECT_TRUE(contains(table_state("account", "last_error"), m)) << m << ": " << table_state("account", "last_error");
    }
    EXPECT_TRUE(contains(r.out, "contact: delta cycle")) << r.out;
    expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
    EXPECT_EQ(mirror_layout("account"), mirror_names("accountid", account_columns));
    EXPECT_TRUE(mirrored("account", "accountid", account_columns) == account_before) << "the account mirror changed";
    EXPECT_EQ(stored_delta_link(db_path_, "account"), link_before);
    EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM dvsync_choice_labels WHERE table_name = 'account' AND "
                                   "column_name = 'industrycode'"),
              "33");
    auto status = dvsync({"status"});
    EXPECT_TRUE(contains(status.out, c.message.back())) << status.out;
  }
  ASSERT_EQ(emulator_->control("faults", "[]").status, 200);
  auto healed = once();
  ASSERT_EQ(healed.exit_code, 0) << healed.err;
  expect_table_equals_source("account", "accounts", "accountid", account_columns);
  EXPECT_EQ(table_state("account", "last_error"), "");
}

// The service of the 2019 report: every tracked read that asks for annotations ends without its
// delta link.
std::string const delta_link_lost_with_annotations =
    R"([{"match":{"prefer":"include-annotations"},"count":-1,"drop_links":"delta"}])";

// 11. A service that drops the delta link of a tracked read asking for annotations, as a 2019
// report says one did (emulator/README.md, "Annotations with change tracking"): the read is made
// again without lookup targets, the table syncs with their type columns NULL, the next cycles do
// not ask, and a requested resync asks again.
TEST_F(real_tables_test, a_delta_link_lost_with_lookup_targets_reads_again_without_them) {
  seed("accounts", 2);
  seed("contacts", 6);
  write_tables(R"([{"logical_name":"contact"}])", paged(4));
  faults(delta_link_lost_with_annotations);
  auto const annotated_reads = [&] {
    return json::parse(emulator_->control_get("faults").body).at("applied_total").to_number<std::int64_t>();
  };
  auto const typed = [&] {
    return query_text(db_path_, "SELECT count(*) FROM contact WHERE parentcustomeridtype IS NOT NULL OR owneridtype IS NOT NULL");
  };

  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.err, "cycle.lookup_targets_lost_delta_link")) << first.err;
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
  EXPECT_EQ(typed(), "0");
  EXPECT_NE(table_state("contact", "lookup_targets_lost_at"), "");
  EXPECT_EQ(working_tables(), "");
  auto const asked = annotated_reads();
  EXPECT_EQ(asked, 2);  // the two pages of the first read

  auto status = dvsync({"status"});
  EXPECT_TRUE(contains(status.out, "lookup targets: not asked since")) << status.out;

  auto const added = create("contacts", R"({"lastname":"Added"})");
  ASSERT_EQ(api("PATCH", fmt::format("contacts({})", added), R"({"firstname":"Then"})").status, 204);
  auto second = once();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "contact: delta cycle")) << second.out;
  EXPECT_FALSE(contains(second.err, "lookup_targets_lost")) << second.err;
  EXPECT_EQ(annotated_reads(), asked);
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);

  // Fixed on the service's side: a requested resync asks again, and the targets come back.
  faults("[]");
  ASSERT_EQ(dvsync({"resync", "--table", "contact"}).exit_code, 0);
  EXPECT_EQ(table_state("contact", "lookup_targets_lost_at"), "");
  auto third = once();
  ASSERT_EQ(third.exit_code, 0) << third.err;
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
  EXPECT_NE(typed(), "0");
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM contact WHERE (parentcustomerid IS NULL) != (parentcustomeridtype IS NULL) "
                                 "OR (ownerid IS NULL) != (owneridtype IS NULL)"),
            "0");
  EXPECT_EQ(integrity_check(db_path_), "ok");
}

// 12. The same in a delta: read again from the stored link without lookup targets. The rows it
// brings lose their targets; the others keep theirs.
TEST_F(real_tables_test, a_delta_that_loses_its_link_with_lookup_targets_is_read_again_without_them) {
  seed("accounts", 2);
  seed("contacts", 4);
  write_tables(R"([{"logical_name":"contact"}])", paged(4));
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto const owned = query_text(db_path_, "SELECT count(*) FROM contact WHERE owneridtype IS NOT NULL");
  ASSERT_EQ(owned, "4");

  faults(delta_link_lost_with_annotations);
  auto const changed = query_text(db_path_, "SELECT contactid FROM contact ORDER BY contactid LIMIT 1");
  ASSERT_EQ(api("PATCH", fmt::format("contacts({})", changed), R"({"firstname":"Changed"})").status, 204);
  auto second = once();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.err, "cycle.lookup_targets_lost_delta_link")) << second.err;
  EXPECT_TRUE(contains(second.out, "contact: delta cycle")) << second.out;
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT count(*) FROM contact WHERE owneridtype IS NULL AND contactid = '{}'", changed)),
            "1");
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM contact WHERE owneridtype IS NOT NULL"), "3");
  EXPECT_EQ(working_tables(), "");
}

// 13. After a fallback already (an expired delta token made the cycle a full read), the read that
// loses its link cannot fall back again: the cycle fails having dropped what it staged, and the
// next one reads the whole table without asking and converges.
TEST_F(real_tables_test, a_full_resync_that_loses_its_link_with_lookup_targets_fails_once_then_converges) {
  seed("accounts", 2);
  seed("contacts", 6);
  write_tables(R"([{"logical_name":"contact"}])", paged(4));
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;

  ASSERT_EQ(emulator_->control("expire-tokens").status, 200);
  faults(delta_link_lost_with_annotations);
  auto second = once();
  EXPECT_NE(second.exit_code, 0) << second.out;
  EXPECT_TRUE(contains(second.err, "cycle.token_expired")) << second.err;
  EXPECT_TRUE(contains(second.err, "cycle.lookup_targets_lost_delta_link")) << second.err;
  EXPECT_TRUE(contains(second.err, "the next cycle reads without lookup targets")) << second.err;
  EXPECT_EQ(table_state("contact", "cycle_kind"), "");
  EXPECT_EQ(working_tables(), "");

  auto const created = create("contacts", R"({"lastname":"During the outage"})");
  auto third = once();
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_TRUE(contains(third.out, "full resync (token_expired)")) << third.out;
  EXPECT_FALSE(contains(third.err, "lookup_targets_lost")) << third.err;
  expect_table_equals_source("contact", "contacts", "contactid", contact_columns);
  EXPECT_EQ(query_text(db_path_, fmt::format("SELECT count(*) FROM contact WHERE contactid = '{}'", created)), "1");
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM contact WHERE owneridtype IS NOT NULL"), "0");
}

}  // namespace
}  // namespace dvsync::test
