// Several tables at once against the emulator: their cycles overlap, a 429 on one table pauses
// every table's requests until its Retry-After, "too many concurrent requests" lowers the
// parallelism and the cycles still finish, a long initial load leaves a small table's deltas on
// their interval (with progress in `dvsync status` meanwhile), and kill -9 during concurrent initial
// loads converges for every table while readers never see a partly loaded table.
#include "ops_fixture.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using wall_clock = std::chrono::system_clock;

struct table_case {
  std::string logical_name;
  std::string entity_set;
  std::string id;
};

std::vector<table_case> const three_tables = {
    {"account", "accounts", "accountid"},
    {"contact", "contacts", "contactid"},
    {"sample_book", "sample_books", "sample_bookid"},
};

std::string tables_json(std::vector<table_case> const& tables, std::map<std::string, int> const& intervals = {}) {
  std::string out = "[";
  for (auto const& t : tables) {
    if (out.size() > 1) out += ", ";
    out += fmt::format(R"({{"logical_name": "{}")", t.logical_name);
    if (auto it = intervals.find(t.logical_name); it != intervals.end()) out += fmt::format(R"(, "interval_s": {})", it->second);
    out += "}";
  }
  return out + "]";
}

// `key=value` of a log line; empty when absent.
std::string field(std::string const& line, std::string const& key) {
  auto at = line.find(" " + key + "=");
  if (at == std::string::npos) {
    if (line.rfind(key + "=", 0) != 0) return {};
    at = 0;
  } else {
    at += 1;
  }
  auto begin = at + key.size() + 1;
  auto end = line.find(' ', begin);
  return line.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// time=2026-12-06T06:18:45.123Z
wall_clock::time_point time_of(std::string const& line) {
  auto t = field(line, "time");
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return {};
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return wall_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

std::vector<std::string> lines_of(std::string const& text, std::string const& event) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (field(line, "event") == event) out.push_back(line);
  return out;
}

class concurrent_test : public ops_test {
 protected:
  void seed(std::string const& entity_set, int rows) {
    auto r = emulator_->control("seed", fmt::format(R"({{"entity_set":"{}","count":{},"seed":7}})", entity_set, rows));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Every page of these tables takes at least `ms` to answer.
  void slow_pages(std::vector<table_case> const& tables, int ms) {
    std::string script = "[";
    for (auto const& t : tables) {
      if (script.size() > 1) script += ",";
      script += fmt::format(R"({{"match":{{"method":"GET","path":"/{}?"}},"count":-1,"delay_ms":{}}})", t.entity_set, ms);
    }
    faults(script + "]");
  }

  std::set<std::string> source_ids(table_case const& t) {
    std::set<std::string> out;
    auto dump = json::parse(emulator_->control_get("rows?entity_set=" + t.entity_set).body);
    for (auto const& row : dump.as_array()) out.insert(std::string(row.as_object().at("id").as_string()));
    return out;
  }

  // The mirror's ids, through a read-only connection as readers open it; empty when the table
  // does not exist yet.
  std::set<std::string> mirror_ids(table_case const& t) const {
    std::set<std::string> out;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(("file:" + db_path_ + "?mode=ro").c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return out;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, fmt::format("SELECT {} FROM {}", t.id, t.logical_name).c_str(), -1, &st, nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW) out.insert(reinterpret_cast<char const*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  void expect_every_table_converged(std::vector<table_case> const& tables) {
    for (auto const& t : tables) {
      auto const source = source_ids(t);
      auto const mirror = mirror_ids(t);
      EXPECT_EQ(mirror.size(), source.size()) << t.logical_name;
      EXPECT_TRUE(mirror == source) << t.logical_name << ": the mirror's ids differ from the source's";
    }
  }

  std::uint64_t total_requests() {
    auto stats = json::parse(emulator_->control_get("stats").body);
    return stats.at("total_requests").to_number<std::uint64_t>();
  }
};

TEST_F(concurrent_test, tables_are_read_at_once) {
  for (auto const& t : three_tables) seed(t.entity_set, 2000);
  slow_pages(three_tables, 150);  // 8 pages of 250 rows: 1.2 s or more per table, read one after another
  config_overrides o;
  o.page_size = 250;
  o.tables = tables_json(three_tables);
  write_config(o);

  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, wall_clock::time_point> started, done;
  for (auto const& line : lines_of(r.err, "cycle.start")) started[field(line, "table")] = time_of(line);
  for (auto const& line : lines_of(r.err, "cycle.done")) done[field(line, "table")] = time_of(line);
  ASSERT_EQ(started.size(), 3u) << r.err;
  ASSERT_EQ(done.size(), 3u) << r.err;
  for (auto const& [a, a_start] : started)
    for (auto const& [b, b_done] : done)
      EXPECT_LT(a_start, b_done) << a << " began only after " << b << " had ended: the tables were read one after another";
  expect_every_table_converged(three_tables);
}

TEST_F(concurrent_test, a_429_on_one_table_pauses_every_table_until_its_retry_after) {
  for (auto const& t : three_tables) seed(t.entity_set, 3000);
  // Every page takes 100 ms, and the accounts' third request is refused with Retry-After: 2.
  faults(R"([{"match":{"method":"GET","path":"/accounts?","skip":2},"status":429,"retry_after":2,
              "body":{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}},
             {"match":{"method":"GET","path":"/accounts?"},"count":-1,"delay_ms":100},
             {"match":{"method":"GET","path":"/contacts?"},"count":-1,"delay_ms":100},
             {"match":{"method":"GET","path":"/sample_books?"},"count":-1,"delay_ms":100}])");
  config_overrides o;
  o.page_size = 200;  // 15 pages a table
  o.tables = tables_json(three_tables);
  write_config(o);

  // Sample the emulator's request count every 10 ms while `dvsync once` runs.
  std::atomic<bool> running{true};
  struct sample {
    std::chrono::steady_clock::time_point at;
    std::uint64_t total;
    std::uint64_t throttled;
  };
  std::vector<sample> samples;
  std::thread sampler([&] {
    while (running) {
      auto const t = std::chrono::steady_clock::now();
      samples.push_back({t, total_requests(), requests("/accounts", 429)});
      std::this_thread::sleep_for(10ms);
    }
  });
  auto r = once();
  running = false;
  sampler.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto first_429 = std::find_if(samples.begin(), samples.end(), [](sample const& s) { return s.throttled > 0; });
  ASSERT_NE(first_429, samples.end()) << "the 429 was never answered";
  // Requests the other tables had in flight when the 429 arrived may still finish (100 ms each);
  // from 300 ms after it until its Retry-After ends, nothing may be sent by any table.
  auto const quiet_from = first_429->at + 300ms;
  auto const quiet_until = first_429->at + 1700ms;
  std::optional<std::uint64_t> at_quiet_start;
  std::uint64_t during = 0;
  for (auto const& s : samples) {
    if (s.at < quiet_from || s.at > quiet_until) continue;
    if (!at_quiet_start) at_quiet_start = s.total;
    during = s.total - *at_quiet_start;
  }
  ASSERT_TRUE(at_quiet_start) << "no sample inside the Retry-After window";
  EXPECT_EQ(during, 0u) << "requests were answered while the service had asked every request to wait";
  EXPECT_GE(samples.back().total, *at_quiet_start + 10) << "the tables went on after the pause";
  EXPECT_NE(r.err.find("reason=throttled"), std::string::npos) << r.err;
  expect_every_table_converged(three_tables);
}

TEST_F(concurrent_test, too_many_concurrent_requests_lowers_the_parallelism_and_every_cycle_finishes) {
  // The service allows one request in progress but hints at eight: three tables reading at once
  // exceed it.
  start_emulator({"--max-concurrent", "1", "--dop-hint", "8"});
  for (auto const& t : three_tables) seed(t.entity_set, 1500);
  slow_pages(three_tables, 100);
  config_overrides o;
  o.page_size = 250;
  o.max_attempts = 8;
  o.tables = tables_json(three_tables);
  write_config(o);

  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto const lowered = lines_of(r.err, "dataverse.parallelism_lowered");
  ASSERT_FALSE(lowered.empty()) << "the concurrency error never lowered the parallelism:\n" << r.err;
  EXPECT_EQ(field(lowered.back(), "limit"), "1") << lowered.back();
  // After the lowering the service is not flooded: few refusals in all, against 18+ pages.
  auto const refused = count_requests([](std::string_view path) { return path.starts_with("/api/data/"); }, 429);
  EXPECT_GE(refused, 1u);
  EXPECT_LE(refused, 8u) << "the daemon kept sending more requests than the service allows";
  expect_every_table_converged(three_tables);
}

TEST_F(concurrent_test, a_long_initial_load_leaves_a_small_tables_deltas_on_their_interval) {
  table_case const big{"sample_book", "sample_books", "sample_bookid"};
  table_case const small{"account", "accounts", "accountid"};
  seed(big.entity_set, 12000);
  seed(small.entity_set, 50);
  slow_pages({big}, 150);  // 24 pages of 500: about 4 s at the very least
  config_overrides o;
  o.page_size = 500;
  o.interval_s = 60;
  o.tables = tables_json({big, small}, {{"account", 1}});
  o.extra_top_level = metrics_at("127.0.0.1:0");
  write_config(o);

  auto daemon = start_daemon();
  auto const port = metrics_port();
  ASSERT_NE(port, 0) << log();
  // While the big table loads: its progress in status (rows done, the service's estimate, the rate
  // once a second has passed, and the time left at that rate).
  bool saw_progress = false;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
    auto s = dvsync({"status", "--json"});
    if (s.exit_code == 0) {
      auto doc = json::parse(s.out);
      for (auto const& t : doc.at("tables").as_array()) {
        auto const& o = t.as_object();
        if (o.at("table").as_string() != "sample_book" || !o.contains("progress")) continue;
        auto const& p = o.at("progress").as_object();
        auto const done = p.at("rows_done").to_number<std::int64_t>();
        auto const rate = p.at("rows_per_s").to_number<double>();
        if (done > 0 && !p.at("rows_expected").is_null() && rate > 0) {
          auto const expected = p.at("rows_expected").to_number<std::int64_t>();
          EXPECT_EQ(expected, 12000);
          EXPECT_FALSE(p.at("percent").is_null());
          // The rate is the rows staged over the whole seconds since the cycle began (at least one).
          EXPECT_LE(rate, static_cast<double>(done)) << s.out;
          ASSERT_FALSE(p.at("eta_s").is_null()) << s.out;
          auto const eta = p.at("eta_s").to_number<double>();
          auto const left = static_cast<double>(std::max<std::int64_t>(expected - done, 0)) / rate;
          EXPECT_GE(eta, 0) << s.out;
          EXPECT_GE(eta, left / 2 - 1) << s.out;
          EXPECT_LE(eta, left * 2 + 1) << s.out;
          saw_progress = true;
        }
      }
    }
    if (saw_progress) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(saw_progress) << "status never showed the load's progress";
  // The same figures on the metrics endpoint, for the loading table.
  bool saw_metrics = false;
  for (auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;) {
    auto m = parse_metrics(get(port, "/metrics").body);
    auto const rate = m.find(R"(dvsync_cycle_rows_per_second{table="sample_book"})");
    auto const eta = m.find(R"(dvsync_cycle_eta_seconds{table="sample_book"})");
    if (rate != m.end() && eta != m.end() && std::stod(rate->second) > 0) {
      EXPECT_GE(std::stod(eta->second), 0);
      saw_metrics = true;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(saw_metrics) << "the metrics never showed the load's rate and time left";

  // Wait for the big table's initial load to finish, then count the small table's cycles during it.
  std::string log;
  for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
    log = read_file((dir_ / "daemon.log").string());
    bool big_done = false;
    for (auto const& line : lines_of(log, "cycle.done")) big_done = big_done || field(line, "table") == "sample_book";
    if (big_done) break;
    std::this_thread::sleep_for(100ms);
  }
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0);
  log = read_file((dir_ / "daemon.log").string());

  wall_clock::time_point big_start{}, big_done{};
  std::vector<wall_clock::time_point> small_done;
  for (auto const& line : lines_of(log, "cycle.start"))
    if (field(line, "table") == "sample_book" && big_start == wall_clock::time_point{}) big_start = time_of(line);
  for (auto const& line : lines_of(log, "cycle.done")) {
    if (field(line, "table") == "sample_book" && big_done == wall_clock::time_point{}) big_done = time_of(line);
    if (field(line, "table") == "account") small_done.push_back(time_of(line));
  }
  ASSERT_NE(big_done, wall_clock::time_point{}) << log;
  std::vector<wall_clock::time_point> during;
  for (auto t : small_done)
    if (t > big_start && t < big_done) during.push_back(t);
  auto const load_s = std::chrono::duration<double>(big_done - big_start).count();
  // One cycle a second (the table's own interval) plus the cycle's own time.
  EXPECT_GE(during.size(), static_cast<std::size_t>(load_s / 2)) << "the small table's deltas waited for the load ("
                                                                  << load_s << " s)";
  for (std::size_t i = 1; i < during.size(); ++i)
    EXPECT_LT(std::chrono::duration<double>(during[i] - during[i - 1]).count(), 3.0)
        << "a gap of more than an interval plus a page between two deltas of the small table";
  expect_every_table_converged({big, small});
}

TEST_F(concurrent_test, kill_9_during_concurrent_initial_loads_converges_and_readers_never_see_a_partial_table) {
  for (auto const& t : three_tables) seed(t.entity_set, 4000);
  slow_pages(three_tables, 40);
  config_overrides o;
  o.page_size = 200;
  o.tables = tables_json(three_tables);
  write_config(o);

  // Readers: every table is either absent/empty or holds all of its rows, never a part.
  std::atomic<bool> reading{true};
  std::atomic<int> anomalies{0}, looks{0};
  std::thread reader([&] {
    while (reading) {
      for (auto const& t : three_tables) {
        auto n = mirror_ids(t).size();
        ++looks;
        if (n != 0 && n != 4000) {
          ++anomalies;
          ADD_FAILURE() << t.logical_name << " showed " << n << " rows";
        }
      }
    }
  });
  std::mt19937 rng(11);
  for (int kill = 0; kill < 4; ++kill) {
    auto daemon = start_daemon(fmt::format("daemon-{}.log", kill));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1500)(rng)));
    daemon.signal(SIGKILL);
    EXPECT_EQ(daemon.wait(10s), -SIGKILL);
  }
  faults("[]");
  auto r = once();
  reading = false;
  reader.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(anomalies.load(), 0);
  EXPECT_GT(looks.load(), 30);
  expect_every_table_converged(three_tables);
  // A second run follows every delta link and finds nothing to do.
  auto again = once();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (auto const& line : lines_of(again.err, "cycle.done")) {
    EXPECT_EQ(field(line, "kind"), "delta") << line;
    EXPECT_EQ(field(line, "upserts"), "0") << line;
  }
}

TEST_F(concurrent_test, once_on_a_terminal_shows_a_live_progress_line_per_running_table) {
  seed("sample_books", 6000);
  seed("accounts", 3000);
  slow_pages({{"sample_book", "sample_books", "sample_bookid"}, {"account", "accounts", "accountid"}}, 200);
  config_overrides o;
  o.page_size = 500;  // 12 and 6 pages of at least 200 ms: the line is drawn several times
  o.tables = tables_json({{"sample_book", "sample_books", "sample_bookid"}, {"account", "accounts", "accountid"}});
  write_config(o);
  // script(1) gives the command a pseudo-terminal and copies what it wrote there to our stdout.
  std::string command = dvsync_binary() + " once --config " + config_path_;
  auto r = run_process({"/usr/bin/script", "--quiet", "--return", "--command", command, "/dev/null"}, secret_env());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("sample_book: full read, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("account: full read, "), std::string::npos) << "one line per running table:\n" << r.out;
  EXPECT_NE(r.out.find(" of about 6000 ("), std::string::npos) << "the service's estimate:\n" << r.out;
  EXPECT_NE(r.out.find(" rows/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\x1b[K"), std::string::npos) << "the lines are redrawn in place";
  // The summaries are printed above the progress lines, whole.
  EXPECT_NE(r.out.find("sample_book: initial sync, 12 pages, 6000 upserts"), std::string::npos) << r.out;

  // Not on a terminal: no progress lines at all.
  auto plain = once();
  EXPECT_EQ(plain.err.find("\x1b["), std::string::npos);
  EXPECT_EQ(plain.out.find("full read, "), std::string::npos);
}

}  // namespace
}  // namespace dvsync::test
