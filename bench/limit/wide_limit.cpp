// The insert limit for a table that dvsync resolves from the organization's metadata (the wide
// table of bench/wide_account.json): the same rows inserted into the same table with one prepared
// statement in one transaction, and nothing else.
//
//   dvsync-bench-wide-limit --config FILE --save-pages DIR
//   dvsync-bench-wide-limit --config FILE --pages DIR --db FILE
//
// FILE is the configuration `dvsync once` runs with; its first table is resolved as the daemon
// resolves it (sync::catalog over the Dataverse client: the same metadata queries, the same
// dataverse::resolve), so the spec, and from it the mirror's CREATE TABLE (store::make_layout via
// store::database::ensure_table), are the daemon's own.
// --save-pages fetches the table's initial read with the daemon's Dataverse client (its initial URL,
// its headers, the lookuplogicalname annotation when a lookup is polymorphic) and saves each body
// (one file per page); it prints {"pages", "bytes", "fetch_s"}.
// --pages parses the saved pages with the daemon's typed parser (dataverse::parse_page), all of them
// before the clock starts, then inserts the rows into a new database at --db as the daemon lays
// them out (store::table_layout::insert_mirror, values bound as the daemon binds them). Boost.JSON
// would not do: its DOM holds numbers as doubles, and the mirror keeps a decimal's exact digits.
// Prints {"rows", "pages", "bytes", "columns", "parse_s", "insert_s" (BEGIN to COMMIT)}.
#include "common.hpp"

#include "cli/connection.hpp"
#include "config/config.hpp"
#include "dataverse/links.hpp"
#include "dataverse/page_parser.hpp"
#include "store/table_layout.hpp"
#include "sync/catalog.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <variant>
#include <vector>

namespace dvsync::bench {
namespace {

namespace asio = boost::asio;

template <class T>
T value_or_throw(core::result<T> r, std::string const& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().message);
  return std::move(*r);
}

// The first configured table, resolved from the metadata as the daemon resolves it.
asio::awaitable<config::table_spec> resolve_table(cli::connection* conn, config::table_config entry) {
  cli::client_metadata metadata(conn->dataverse);
  sync::catalog catalog(metadata, std::chrono::seconds{0});
  auto resolved = co_await catalog.resolve(entry);
  co_return value_or_throw(std::move(resolved), "table " + entry.table).table.spec;
}

struct fetched {
  std::size_t pages = 0, bytes = 0;
  seconds took{0};
};

// The table's initial read, page by page, as the daemon's engine requests it; each body saved.
asio::awaitable<fetched> save_pages(cli::connection* conn, config::dataverse_settings dataverse,
                                    config::table_spec spec, std::filesystem::path dir) {
  std::filesystem::create_directories(dir);
  bool const lookup_targets =
      std::any_of(spec.columns.begin(), spec.columns.end(), [](config::column_spec const& c) { return c.polymorphic; });
  fetched out;
  auto t0 = clock_type::now();
  std::optional<std::string> url = dataverse::initial_url(dataverse, spec);
  while (url) {
    auto body = value_or_throw(co_await conn->dataverse.get(*url, lookup_targets), "page " + std::to_string(out.pages));
    char name[16];
    std::snprintf(name, sizeof name, "%06zu.json", out.pages);
    std::ofstream(dir / name, std::ios::binary) << body;
    url = value_or_throw(dataverse::parse_page(body, spec), "page " + std::to_string(out.pages)).next_link;
    ++out.pages;
    out.bytes += body.size();
  }
  out.took = clock_type::now() - t0;
  co_return out;
}

// Runs one coroutine on a connection built from the configuration, to its end.
template <class T, class Start>
T run_with_connection(config::settings const& s, Start start) {
  asio::io_context io;
  cli::connection conn(s, io, std::stop_token{});  // never stopped: the program runs to its end
  std::optional<T> out;
  std::exception_ptr failed;
  asio::co_spawn(io, start(&conn), [&](std::exception_ptr e, T r) {
    failed = e;
    if (!e) out = std::move(r);
  });
  io.run();
  if (failed) std::rethrow_exception(failed);
  return std::move(*out);
}

void bind_value(sqlite3_stmt* st, int i, dataverse::value_view v) {
  if (auto const* n = std::get_if<std::int64_t>(&v))
    sqlite3_bind_int64(st, i, *n);
  else if (auto const* d = std::get_if<double>(&v))
    sqlite3_bind_double(st, i, *d);
  else if (auto const* s = std::get_if<std::string_view>(&v))
    sqlite3_bind_text(st, i, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

// Parameters in the mirror's column order, as the daemon binds a row (store::database::stage_rows).
void bind_record(sqlite3_stmt* st, store::table_layout const& l, dataverse::record const& r) {
  if (!l.keyed_by_id) bind_value(st, 1, r.at(l.key_value));
  sqlite3_bind_text(st, static_cast<int>(l.id_index()) + 1, r.id.data(), static_cast<int>(r.id.size()), SQLITE_STATIC);
  int const first = static_cast<int>(l.first_other()) + 1;
  for (std::size_t i = 0; i < l.other_values.size(); ++i)
    bind_value(st, static_cast<int>(i) + first, r.at(l.other_values[i]));
  if (r.version)
    sqlite3_bind_int64(st, static_cast<int>(l.columns.size()), *r.version);
  else
    sqlite3_bind_null(st, static_cast<int>(l.columns.size()));
}

void insert_limit(config::table_spec const& spec, std::string const& pages_dir, std::string const& db_path) {
  auto pages = read_pages(pages_dir);
  std::vector<dataverse::record> rows;
  auto p0 = clock_type::now();
  for (auto& body : pages.bodies) {
    auto page = value_or_throw(dataverse::parse_page(body, spec), "parse");
    if (!page.deletes.empty() || !page.rejects.empty())
      throw std::runtime_error("an initial read of generated rows has no deletes and no rejects");
    std::move(page.upserts.begin(), page.upserts.end(), std::back_inserter(rows));
    body = std::string();
  }
  auto p1 = clock_type::now();

  create_mirror_database(db_path, spec);
  auto layout = value_or_throw(store::make_layout(spec), "layout");
  sqlite3* db = open_with_daemon_pragmas(db_path);
  sqlite3_stmt* insert = prepare(db, layout.insert_mirror());
  auto t0 = clock_type::now();
  exec(db, "BEGIN");
  for (auto const& r : rows) {
    bind_record(insert, layout, r);
    run(db, insert, "insert");
  }
  exec(db, "COMMIT");
  auto t1 = clock_type::now();
  sqlite3_finalize(insert);
  sqlite3_close(db);

  std::printf("{\"rows\": %zu, \"pages\": %zu, \"bytes\": %zu, \"columns\": %zu, \"parse_s\": %.4f, "
              "\"insert_s\": %.4f}\n",
              rows.size(), pages.bodies.size(), pages.bytes, layout.columns.size(), seconds(p1 - p0).count(),
              seconds(t1 - t0).count());
}

}  // namespace
}  // namespace dvsync::bench

int main(int argc, char** argv) try {
  using namespace dvsync;
  using namespace dvsync::bench;
  auto flags = parse_flags(argc, argv, {"--config", "--save-pages", "--pages", "--db"});
  bool const save = flags.contains("--save-pages");
  if (!flags.contains("--config") || save == flags.contains("--pages") || flags.contains("--db") != !save)
    throw std::runtime_error("usage: dvsync-bench-wide-limit --config FILE (--save-pages DIR | --pages DIR --db FILE)");
  auto loaded = config::load(flags["--config"]);
  if (!loaded.value) throw std::runtime_error(config::describe(loaded.problems));
  auto const& s = *loaded.value;
  auto entry = s.tables.at(0);
  auto spec = run_with_connection<config::table_spec>(s, [&](cli::connection* c) { return resolve_table(c, entry); });
  if (!save) {
    insert_limit(spec, flags["--pages"], flags["--db"]);
    return 0;
  }
  auto f = run_with_connection<fetched>(
      s, [&](cli::connection* c) { return save_pages(c, s.dataverse, spec, flags["--save-pages"]); });
  std::printf("{\"pages\": %zu, \"bytes\": %zu, \"fetch_s\": %.4f}\n", f.pages, f.bytes, f.took.count());
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "dvsync-bench-wide-limit: %s\n", e.what());
  return 1;
}
