// `dvsync verify [--table NAME] [--fix] [--values] [--json]`: every configured table (or NAME)
// compared with its source by id and version, and with --values value by value (verify/verifier.hpp), a report on stdout, the outcome stored in
// dvsync_verify for the daemon's metrics. Safe beside a running daemon: it reads the mirror in
// snapshots and writes only its own TEMP tables and outcome rows; with --fix it writes mirror rows
// only while it holds the writer lock, and otherwise asks the daemon for a full resync.
#include "cli/commands.hpp"
#include "cli/connection.hpp"
#include "core/log.hpp"
#include "store/database.hpp"
#include "store/verify_store.hpp"
#include "verify/report.hpp"
#include "verify/verifier.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>

namespace dvsync::cli {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct verify_run {
  config::settings const& settings;
  std::optional<std::string> only;
  verify::fix_options fix;
  bool values;
  connection& conn;
  store::database& db;
};

// Tables one after another: the requests of each are many and sequential, and the service's limits
// are per user, so running them side by side would gain little and load the service more.
boost::asio::awaitable<std::vector<verify::table_report>> verify_tables(verify_run* run) {
  client_metadata source(run->conn.dataverse);
  sync::catalog catalog(source, std::chrono::seconds{0});
  verify::verifier verifier(run->conn.dataverse, run->db, run->settings);
  store::verify_store outcomes(run->db);
  std::vector<verify::table_report> reports;
  for (auto const& table : run->settings.tables) {
    if (run->only && table.table != *run->only) continue;
    auto resolved = co_await catalog.resolve(table);
    if (!resolved) {
      verify::table_report failed;
      failed.table = table.table;
      failed.error = "metadata: " + resolved.error().message;
      reports.push_back(std::move(failed));
      continue;
    }
    auto report = co_await verifier.verify(resolved->table.spec, run->fix, run->values);
    if (report.status == verify::table_status::no_drift || report.status == verify::table_status::drift) {
      store::verify_outcome o{report.table,       unix_now(),          report.duration_ms,
                              report.source_rows, report.mirror_rows, report.found.counts,
                              report.pending,     report.fix,          report.values};
      if (auto stored = outcomes.record(o); !stored)
        core::log::warn("verify.not_recorded", {{"table", report.table}, {"error", stored.error().message}});
    }
    core::log::info("verify.done", {{"table", report.table}, {"status", verify::to_string(report.status)},
                                    {"requests", report.requests}, {"duration_ms", report.duration_ms}});
    reports.push_back(std::move(report));
  }
  co_return reports;
}

}  // namespace

int verify(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  if (!table_option_known(a, *s)) return exit_usage;
  // A checker must not create the database (as whichever user runs it, root from cron say).
  if (std::error_code ec; !std::filesystem::exists(s->database.path, ec)) {
    std::fprintf(stderr, "dvsync: database %s does not exist: dvsync has not synced yet, or database.path points elsewhere\n",
                 s->database.path.c_str());
    return exit_failure;
  }
  // Read-write without the lock, as `resync` opens it: its outcome rows are written beside the daemon.
  auto db = store::database::open(s->database);
  if (!db) {
    std::fprintf(stderr, "dvsync: %s\n", db.error().message.c_str());
    return exit_failure;
  }
  verify::fix_options fix;
  fix.enabled = a.fix;
  if (a.fix) {
    // Held for the whole run, so that no cycle commits between the comparison and the repair.
    auto locked = db->acquire_lock();
    if (locked) {
      fix.lock_held = true;
    } else if (locked.error().code == core::errc::locked) {
      fix.lock_problem = locked.error().message;
    } else {
      std::fprintf(stderr, "dvsync: %s\n", locked.error().message.c_str());
      return exit_failure;
    }
  }

  boost::asio::io_context io;
  std::stop_source stop;
  connection conn(*s, io, stop.get_token());
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&stop](boost::system::error_code ec, int) {
    if (!ec) stop.request_stop();
  });
  verify_run run{*s, a.table, fix, a.values, conn, *db};
  std::vector<verify::table_report> reports;
  std::optional<std::string> crashed;
  boost::asio::co_spawn(io, verify_tables(&run), [&](std::exception_ptr e, std::vector<verify::table_report> r) {
    signals.cancel();
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (std::exception const& ex) {
        crashed = ex.what();
      }
    }
    reports = std::move(r);
  });
  io.run();
  if (crashed) {
    std::fprintf(stderr, "dvsync: verify failed: %s\n", crashed->c_str());
    return exit_failure;
  }
  auto const text = a.json ? verify::report_json(reports, unix_now()) : verify::report_text(reports);
  std::fputs(text.c_str(), stdout);
  return verify::exit_code(reports);
}

}  // namespace dvsync::cli
