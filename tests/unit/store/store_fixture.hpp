#pragma once
// Shared by the store tests: a temporary directory with a real SQLite file, the sample table spec,
// records, and a reader that looks at the mirror through its own read-only connection.
#include "config/settings.hpp"
#include "dataverse/page.hpp"
#include "store/database.hpp"
#include "store/sqlite.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::store::test {

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dvsync-store-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(temp_dir const&) = delete;
  temp_dir& operator=(temp_dir const&) = delete;
  std::filesystem::path const& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline config::table_spec books() {
  // The key is deliberately not the first column: the store maps record values by name.
  return {"sample_books", "sample_book", "sample_bookid", "sample_bookcode", {"sample_name", "sample_bookcode", "sample_author"}};
}

inline dataverse::record book(std::string id, dataverse::value code, std::string name,
                              std::optional<std::int64_t> version = std::nullopt) {
  return {std::move(id), version, {dataverse::value{std::move(name)}, std::move(code), dataverse::value{std::string("author")}}};
}

inline dataverse::page upserts(std::vector<dataverse::record> records) {
  dataverse::page p;
  p.upserts = std::move(records);
  return p;
}

inline dataverse::page deletes(std::vector<std::string> ids) {
  dataverse::page p;
  p.deletes = std::move(ids);
  return p;
}

inline std::string first_text(connection& c, std::string const& sql) {
  auto r = c.query_text(sql);
  return r ? *r : "error: " + r.error().message;
}

// "code:id:name:version" for every mirror row, ordered by code.
inline std::vector<std::string> mirror_rows(connection& c, std::string const& table = "sample_book") {
  auto st = c.prepare("SELECT sample_bookcode, sample_bookid, sample_name, coalesce(dvsync_version, '-') FROM " +
                      quote_identifier(table) + " ORDER BY sample_bookcode");
  if (!st) return {"error: " + st.error().message};
  std::vector<std::string> out;
  for (;;) {
    auto row = st->step();
    if (!row) return {"error: " + row.error().message};
    if (!*row) break;
    out.push_back(st->column_text(0) + ":" + st->column_text(1) + ":" + st->column_text(2) + ":" + st->column_text(3));
  }
  return out;
}

// "id:reason" for every reject of the table, ordered by id.
inline std::vector<std::string> reject_rows(connection& c, std::string const& table = "sample_book") {
  auto st = c.prepare("SELECT id, reason FROM dvsync_rejects WHERE table_name = ?1 ORDER BY id");
  if (!st) return {"error: " + st.error().message};
  st->bind_text(1, table);
  std::vector<std::string> out;
  for (;;) {
    auto row = st->step();
    if (!row) return {"error: " + row.error().message};
    if (!*row) break;
    out.push_back(st->column_text(0) + ":" + st->column_text(1));
  }
  return out;
}

class store_test : public ::testing::Test {
 protected:
  config::database_settings settings() const {
    config::database_settings s;
    s.path = db_path();
    return s;
  }
  std::string db_path() const { return (dir_.path() / "state" / "mirror.db").string(); }

  database open_db() const { return database::open(settings()).value(); }

  // A second connection, as `sqlite3 'file:mirror.db?mode=ro'` would see the file.
  connection reader() const {
    return connection::open("file:" + db_path() + "?mode=ro", open_mode::read_only, std::chrono::milliseconds{5000}).value();
  }

  // An initial full sync of the given rows, finished with delta link "link-1".
  void initial_sync(database& db, std::vector<dataverse::record> rows, std::int64_t now = 1000) const {
    ASSERT_TRUE(db.begin_cycle(books(), cycle_kind::full, "initial"));
    auto done = db.finish_cycle(books(), upserts(std::move(rows)), "link-1", now);
    ASSERT_TRUE(done) << done.error().message;
  }

  temp_dir dir_;
};

}  // namespace dvsync::store::test
