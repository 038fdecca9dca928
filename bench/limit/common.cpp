#include "common.hpp"

#include "store/database.hpp"
#include "store/pragmas.hpp"
#include "store/sqlite.hpp"
#include "store/table_layout.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace dvsync::bench {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string read_file(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string text(json::object const& o, char const* name) {
  auto const* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<std::string> nullable_text(json::object const& o, char const* name) {
  auto const* v = o.if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::int64_t etag_version(json::object const& o) {
  std::string e = text(o, "@odata.etag");  // W/"123"
  return e.size() > 4 ? std::strtoll(e.c_str() + 3, nullptr, 10) : 0;
}

bool is_deleted_entry(json::object const& o) {
  constexpr std::string_view suffix = "/$deletedEntity";
  auto const* v = o.if_contains("@odata.context");
  return v && v->is_string() && std::string_view(v->get_string()).ends_with(suffix);
}

void bind_text(sqlite3_stmt* st, int i, std::string const& s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}

void bind_text(sqlite3_stmt* st, int i, std::optional<std::string> const& s) {
  if (s)
    bind_text(st, i, *s);
  else
    sqlite3_bind_null(st, i);
}

}  // namespace

std::map<std::string, std::string> parse_flags(int argc, char** argv, std::vector<std::string> const& known) {
  std::map<std::string, std::string> out;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (std::find(known.begin(), known.end(), flag) == known.end()) throw std::runtime_error("unknown argument " + flag);
    if (i + 1 >= argc) throw std::runtime_error(flag + ": missing value");
    out[flag] = argv[i + 1];
  }
  return out;
}

page_set read_pages(std::string const& dir) {
  std::vector<fs::path> files;
  for (auto const& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  page_set out;
  for (auto const& f : files) {
    out.bodies.push_back(read_file(f));
    out.bytes += out.bodies.back().size();
  }
  return out;
}

parsed_pages parse_pages(std::vector<std::string> const& bodies) {
  parsed_pages out;
  json::parser parser;
  for (auto const& body : bodies) {
    auto t0 = clock_type::now();
    json::monotonic_resource arena;
    parser.reset(&arena);
    parser.write(body);
    json::value page = parser.release();
    auto t1 = clock_type::now();
    for (auto const& v : page.as_object().at("value").as_array()) {
      auto const& o = v.as_object();
      if (is_deleted_entry(o))
        out.changes.push_back({true, {}, text(o, "id"), {}, {}, 0});
      else
        out.changes.push_back({false, text(o, "sample_bookcode"), text(o, "sample_bookid"),
                               nullable_text(o, "sample_name"), nullable_text(o, "sample_author"), etag_version(o)});
    }
    auto t2 = clock_type::now();
    out.parse += t1 - t0;
    out.extract += t2 - t1;
  }
  return out;
}

config::table_spec book_spec() {
  return {"sample_books", "sample_book", "sample_bookid", "sample_bookcode",
          {"sample_name", "sample_bookcode", "sample_author"}};
}

book_table book_table_sql() {
  auto spec = book_spec();
  auto layout = store::make_layout(spec);
  if (!layout) throw std::runtime_error(layout.error().message);
  std::vector<std::string> const expected{"sample_bookcode", "sample_bookid", "sample_name", "sample_author",
                                          "dvsync_version"};
  if (layout->columns != expected) throw std::runtime_error("the mirror's columns are not the ones bind_row binds");
  book_table out{store::quote_identifier(spec.table), {}};
  for (auto const& c : layout->columns) out.columns.push_back(store::quote_identifier(c));
  return out;
}

void create_mirror_database(std::string const& path, config::table_spec const& spec) {
  for (char const* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  config::database_settings settings;
  settings.path = path;
  auto made = store::database::open(settings);
  if (!made) throw std::runtime_error(made.error().message);
  if (auto r = made->ensure_table(spec); !r) throw std::runtime_error(r.error().message);
}

void check(sqlite3* db, int rc, char const* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

void exec(sqlite3* db, std::string const& sql) {
  check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str());
}

sqlite3* open_with_daemon_pragmas(std::string const& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    throw std::runtime_error(message);
  }
  exec(db, store::connection_pragmas(config::database_settings{}));
  return db;
}

sqlite3_stmt* prepare(sqlite3* db, std::string const& sql) {
  sqlite3_stmt* st = nullptr;
  check(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), sql.c_str());
  return st;
}

void bind_key_id(sqlite3_stmt* st, change const& c) {
  bind_text(st, 1, c.key);
  bind_text(st, 2, c.id);
}

void bind_row(sqlite3_stmt* st, change const& c) {
  bind_key_id(st, c);
  bind_text(st, 3, c.name);
  bind_text(st, 4, c.author);
  sqlite3_bind_int64(st, 5, c.version);
}

int run(sqlite3* db, sqlite3_stmt* st, char const* what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  check(db, rc, what);
  return sqlite3_changes(db);
}

}  // namespace dvsync::bench
