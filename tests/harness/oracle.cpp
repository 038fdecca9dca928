#include "oracle.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include <stdexcept>

namespace dvsync::test {
namespace {

std::optional<std::string> canonical(boost::json::value const& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return fmt::format("{}", v.get_double());
  if (v.is_bool()) return v.get_bool() ? "1" : "0";
  return boost::json::serialize(v);
}

std::optional<std::string> canonical(sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: return std::nullopt;
    case SQLITE_INTEGER: return std::to_string(sqlite3_column_int64(st, col));
    case SQLITE_FLOAT: return fmt::format("{}", sqlite3_column_double(st, col));
    default: return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, col)));
  }
}

struct readonly_db {
  sqlite3* db = nullptr;
  explicit readonly_db(std::string const& path) {
    auto uri = "file:" + path + "?mode=ro";
    if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
      // A failed open still allocates the handle, and no destructor runs for a throwing constructor.
      std::string message = "cannot open " + path + ": " + sqlite3_errmsg(db);
      sqlite3_close(db);
      throw std::runtime_error(message);
    }
    sqlite3_busy_timeout(db, 5000);
  }
  ~readonly_db() { sqlite3_close(db); }
  sqlite3_stmt* prepare(std::string const& sql) const {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
    return st;
  }
};

std::string quoted(std::string const& ident) { return "\"" + ident + "\""; }

std::string sql_text(std::string const& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

row_set rows_from_dump(std::string const& dump_json, table_shape const& shape) {
  row_set out;
  auto arr = boost::json::parse(dump_json).as_array();
  for (auto const& item : arr) {
    auto const& obj = item.as_object();
    row r;
    r.id = std::string(obj.at("id").as_string());
    if (auto const* v = obj.if_contains("version"); v && v->is_int64()) r.version = v->get_int64();
    bool keyless = false;
    for (auto const& c : shape.columns) {
      auto const* v = obj.if_contains(c);
      r.columns.push_back(v ? canonical(*v) : std::nullopt);
      if (c == shape.key && (!r.columns.back() || r.columns.back()->empty())) keyless = true;
    }
    if (!keyless) out.emplace(r.id, std::move(r));
  }
  return out;
}

row_set rows_from_mirror(std::string const& db_path, table_shape const& shape) {
  readonly_db db(db_path);
  // A mirror table is made by its table's first cycle, once the metadata has said what its columns
  // are: before that, and after a first cycle that failed, the mirror is empty.
  sqlite3_stmt* exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = " + sql_text(shape.table));
  bool const made = sqlite3_step(exists) == SQLITE_ROW;
  sqlite3_finalize(exists);
  if (!made) return {};
  std::string sql = "SELECT " + quoted(shape.id) + ", dvsync_version";
  for (auto const& c : shape.columns) sql += ", " + quoted(c);
  sql += " FROM " + quoted(shape.table);
  sqlite3_stmt* st = db.prepare(sql);
  row_set out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    row r;
    r.id = *canonical(st, 0);
    if (sqlite3_column_type(st, 1) != SQLITE_NULL) r.version = sqlite3_column_int64(st, 1);
    for (std::size_t i = 0; i < shape.columns.size(); ++i) r.columns.push_back(canonical(st, static_cast<int>(i + 2)));
    out.emplace(r.id, std::move(r));
  }
  sqlite3_finalize(st);
  return out;
}

difference compare(row_set const& source, row_set const& mirror) {
  difference d;
  for (auto const& [id, r] : source) {
    auto it = mirror.find(id);
    if (it == mirror.end())
      d.missing.push_back(id);
    else if (!(it->second == r))
      d.stale.push_back(id);
  }
  for (auto const& [id, r] : mirror)
    if (!source.contains(id)) d.extra.push_back(id);
  return d;
}

std::string difference::describe() const {
  auto list = [](std::vector<std::string> const& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? ", " : "") + v[i];
    if (v.size() > 5) s += ", ...";
    return s;
  };
  return fmt::format("missing {} [{}], extra {} [{}], stale {} [{}]", missing.size(), list(missing), extra.size(),
                     list(extra), stale.size(), list(stale));
}

std::string query_text(std::string const& db_path, std::string const& sql) {
  readonly_db db(db_path);
  sqlite3_stmt* st = db.prepare(sql);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
}

void exec_sql(std::string const& db_path, std::string const& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_path);
  }
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(sql + ": " + message);
}

std::string integrity_check(std::string const& db_path) { return query_text(db_path, "PRAGMA integrity_check"); }

std::string stored_delta_link(std::string const& db_path, std::string const& table) {
  return query_text(db_path, "SELECT delta_link FROM dvsync_table_state WHERE table_name = '" + table + "'");
}

}  // namespace dvsync::test
