// T7-T11 and T13 of the reliability plan: the fault matrix, through the emulator's fault script.
// Each case runs an initial sync and then a large delta with the fault active. A fault that the
// retry policy absorbs must leave a cycle that succeeds with the mirror equal to the source; a
// fault that breaks the protocol must fail the cycle and leave mirror and delta link untouched.
// Then the fault stops and one clean cycle converges (the full oracle). Throttling cases also check,
// by watching the emulator's request counters, that nothing was sent before Retry-After elapsed.
#include "reliability.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <atomic>
#include <ctime>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;
using sys_clock = std::chrono::system_clock;

// Samples the emulator's request counters every few milliseconds from a thread, so that the time
// between a throttled answer and the next request can be bounded from the outside.
class request_watch {
 public:
  struct sample {
    std::chrono::steady_clock::time_point before;  // just before asking for the counters
    std::chrono::steady_clock::time_point after;   // just after they arrived
    sys_clock::time_point after_wall;
    std::uint64_t table_requests = 0;              // answered on the table's collection, any status
  };

  explicit request_watch(emulator_process const& emulator) : emulator_(emulator) {
    thread_ = std::thread([this] { loop(); });
  }
  ~request_watch() { stop(); }

  std::vector<sample> stop() {
    if (thread_.joinable()) {
      done_ = true;
      thread_.join();
    }
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  void loop() {
    while (!done_) {
      sample s;
      s.before = std::chrono::steady_clock::now();
      auto r = emulator_.control_get("stats");
      s.after = std::chrono::steady_clock::now();
      s.after_wall = sys_clock::now();
      if (r.status == 200) {
        auto const stats = boost::json::parse(r.body);
        for (auto const& item : stats.at("requests").as_array()) {
          auto const& o = item.as_object();
          if (std::string_view(o.at("path").as_string()).ends_with("/sample_books"))
            s.table_requests += o.at("count").to_number<std::uint64_t>();
        }
        std::lock_guard lock(mutex_);
        samples_.push_back(s);
      }
      std::this_thread::sleep_for(2ms);
    }
  }

  emulator_process const& emulator_;
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  std::vector<sample> samples_;
  std::thread thread_;
};

struct throttle_gap {
  double longest_possible_s = 0;         // an upper bound of the time from the answer to the next request
  sys_clock::time_point next_seen_wall;  // when the next request was seen answered
};

// The throttled answers are the first `throttled` requests on the table since the counters were
// reset. For each: the longest the client can have waited before its next request, from the last
// sample before the answer was seen to the first sample that saw the next request. A client that
// sent the next one at once shows a gap of one sampling interval.
std::vector<throttle_gap> gaps_after_throttles(std::vector<request_watch::sample> const& s, std::uint64_t throttled) {
  auto first_seeing = [&](std::uint64_t n) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < s.size(); ++i)
      if (s[i].table_requests >= n) return i;
    return std::nullopt;
  };
  std::vector<throttle_gap> out;
  for (std::uint64_t k = 1; k <= throttled; ++k) {
    auto a = first_seeing(k), b = first_seeing(k + 1);
    if (!a || !b || *a == 0) continue;
    out.push_back({std::chrono::duration<double>(s[*b].after - s[*a - 1].before).count(), s[*b].after_wall});
  }
  return out;
}

std::string http_date(sys_clock::time_point t) {
  auto at = sys_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&at, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return date;
}

// What a script may depend on.
struct phase {
  bool initial = true;                              // the initial sync, else the delta
  int pages = 0;                                    // pages of this phase's read
  std::size_t body_bytes = 0;                       // size of a page body as sent (compressed with --gzip)
  std::optional<sys_clock::time_point> not_before;  // set by a script with an HTTP-date Retry-After
};

struct fault_case {
  std::string name{};
  std::function<std::string(phase&)> script{};  // the fault script (JSON) for the phase
  bool cycle_survives = true;                   // absorbed by retries within the cycle
  std::vector<std::string> emulator_flags{};
  std::function<void(config_overrides&)> tweak{};
  int throttled = 0;                          // the first N requests are throttled: check the waits
  double min_gap_s = 0;                       // each wait at least this long (seconds form)
  double max_cycle_s = 0;                     // the faulted cycle must end within this (deadlines, caps)
  int expect_401 = 0;                         // 401 answers the case must cause
  bool revoke_between_pages = false;          // revoke every bearer token while page 2 is held
};

void PrintTo(fault_case const& c, std::ostream* os) { *os << c.name; }

std::string page_get(std::string const& json_actions, int skip = 0, int count = 1) {
  return fmt::format(R"({{"match":{{"method":"GET","path":"sample_books","skip":{}}},"count":{},{}}})", skip, count, json_actions);
}

std::vector<int> truncation_offsets(std::size_t body, std::uint64_t seed) {
  int const n = static_cast<int>(body);
  std::vector<int> offsets{0, 1, 16, 200, n / 2, n - 2, n - 1};
  if (long_form()) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> any(0, n - 1);
    for (int i = 0; i < 40; ++i) offsets.push_back(any(rng));
  }
  return offsets;
}

// One truncation per request, at every offset in turn: the first page is cut short again and
// again until the offsets run out.
std::string truncations(phase& p) {
  std::string script = "[";
  for (auto offset : truncation_offsets(p.body_bytes, p.initial ? 1 : 2))
    script += (script.size() > 1 ? "," : "") + page_get(fmt::format(R"("truncate_after":{})", offset));
  return script + "]";
}

config_overrides base_config() {
  config_overrides o;
  o.page_size = 100;
  o.max_attempts = 4;
  o.backoff_base_s = 1;
  o.backoff_cap_s = 1;
  o.retry_after_cap_s = 30;
  o.request_timeout_s = 10;
  return o;
}

std::vector<fault_case> cases() {
  auto on_page_2 = [](std::string actions, int count = 1) {
    return [=](phase&) { return "[" + page_get(actions, 1, count) + "]"; };
  };
  auto throttle = [](int status, std::string retry_after, int count) {
    return [=](phase&) {
      return "[" + page_get(fmt::format(R"("status":{},"retry_after":"{}","body":{{"error":{{"code":"0x80072322","message":"Number of requests exceeded the limit"}}}})",
                                        status, retry_after),
                            0, count) +
             "]";
    };
  };
  auto throttle_until = [](int status) {
    return [status](phase& p) {
      auto when = sys_clock::now() + 3s;
      p.not_before = std::chrono::floor<std::chrono::seconds>(when);
      return "[" + page_get(fmt::format(R"("status":{},"retry_after":"{}")", status, http_date(when))) + "]";
    };
  };
  auto cap_retry_after = [](config_overrides& o) { o.retry_after_cap_s = 2; };
  auto attempts = [](int n) { return [n](config_overrides& o) { o.max_attempts = n; }; };

  std::vector<fault_case> c;
  auto add = [&](fault_case f) { c.push_back(std::move(f)); };
  add({.name = "429_retry_after_seconds", .script = throttle(429, "2", 1), .throttled = 1, .min_gap_s = 2});
  add({.name = "429_retry_after_seconds_three_in_a_row", .script = throttle(429, "1", 3), .throttled = 3, .min_gap_s = 1});
  add({.name = "503_retry_after_seconds", .script = throttle(503, "2", 1), .throttled = 1, .min_gap_s = 2});
  add({.name = "429_retry_after_http_date", .script = throttle_until(429), .throttled = 1});
  add({.name = "503_retry_after_http_date", .script = throttle_until(503), .throttled = 1});
  add({.name = "429_absurd_retry_after_is_capped", .script = throttle(429, "9999999999", 1), .tweak = cap_retry_after,
       .throttled = 1, .min_gap_s = 2, .max_cycle_s = 8});
  add({.name = "503_retry_after_of_a_day_is_capped", .script = throttle(503, "86400", 1), .tweak = cap_retry_after,
       .throttled = 1, .min_gap_s = 2, .max_cycle_s = 8});
  add({.name = "429_malformed_retry_after_backs_off", .script = throttle(429, "soon", 1)});
  add({.name = "429_without_retry_after_backs_off", .script = on_page_2(R"("status":429)")});
  add({.name = "500_burst", .script = on_page_2(R"("status":500)", 3)});
  add({.name = "502_burst", .script = on_page_2(R"("status":502)", 3)});
  add({.name = "504_burst", .script = on_page_2(R"("status":504)", 3)});
  add({.name = "500_persistent_fails_the_cycle", .script = on_page_2(R"("status":500)", -1), .cycle_survives = false});
  add({.name = "connection_resets", .script = on_page_2(R"("reset":true)", 3)});
  add({.name = "slow_server_hits_the_deadline", .script = on_page_2(R"("delay_ms":30000)"),
       .tweak = [](config_overrides& o) { o.request_timeout_s = 2; }, .max_cycle_s = 8});
  add({.name = "truncated_bodies", .script = truncations, .tweak = attempts(60)});
  add({.name = "truncated_gzip_bodies", .script = truncations, .emulator_flags = {"--gzip"}, .tweak = attempts(60)});
  add({.name = "last_page_without_links",
       .script = [](phase& p) { return "[" + page_get(R"("drop_links":true)", p.pages - 1) + "]"; },
       .cycle_survives = false});
  add({.name = "middle_page_without_links", .script = on_page_2(R"("drop_links":true)"), .cycle_survives = false});
  add({.name = "corrupt_json", .script = on_page_2(R"("corrupt_json":true)"), .cycle_survives = false});
  add({.name = "wrong_types_value_number", .script = on_page_2(R"("wrong_types":"value_number")"), .cycle_survives = false});
  add({.name = "wrong_types_value_object", .script = on_page_2(R"("wrong_types":"value_object")"), .cycle_survives = false});
  add({.name = "wrong_types_row_fields", .script = on_page_2(R"("wrong_types":"row_fields")"), .cycle_survives = false});
  add({.name = "unauthorized_once_refreshes_the_token", .script = on_page_2(R"("status":401)"), .expect_401 = 1});
  add({.name = "unauthorized_always_fails_the_cycle", .script = on_page_2(R"("status":401)", -1), .cycle_survives = false});
  add({.name = "tokens_revoked_between_pages", .script = on_page_2(R"("delay_ms":1500)"), .expect_401 = 1,
       .revoke_between_pages = true});
  add({.name = "bearer_token_expires_mid_paging", .script = on_page_2(R"("delay_ms":2500)"),
       .emulator_flags = {"--token-lifetime-s", "2"}});
  return c;
}

class fault_matrix : public reliability_test, public ::testing::WithParamInterface<fault_case> {
 protected:
  void TearDown() override {
    report_figure("T7-T13", "case." + GetParam().name, HasFailure() ? "fail" : "pass");
    reliability_test::TearDown();
  }

  // The size of the first page of a read from `url`, as sent (compressed with --gzip).
  std::size_t first_page_bytes(std::string const& url, bool gzip) {
    auto headers = web_api_headers(emulator_->token());
    headers.emplace_back("Prefer", "odata.track-changes,odata.maxpagesize=100");
    if (gzip) headers.emplace_back("Accept-Encoding", "gzip");
    auto r = http_call("GET", url, {}, headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body.size();
  }

  void run_phase(fault_case const& fc, phase p) {
    SCOPED_TRACE(p.initial ? "initial sync" : "delta");
    auto link_before = stored_delta_link(db_path_, "sample_book");
    auto mirror_before = mirror();
    faults(fc.script(p));
    ASSERT_EQ(emulator_->control("stats/reset").status, 200);

    std::optional<request_watch> watch;
    if (fc.throttled > 0) watch.emplace(*emulator_);
    std::thread revoker;
    if (fc.revoke_between_pages) {
      revoker = std::thread([this] {
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (requests("/sample_books", 200) == 0 && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(5ms);
        std::this_thread::sleep_for(500ms);  // page 2 passed the bearer check and is being held
        emulator_->control("revoke-tokens");
      });
    }
    auto started = std::chrono::steady_clock::now();
    auto r = once();
    double const took = seconds_since(started);
    if (revoker.joinable()) revoker.join();
    auto samples = watch ? watch->stop() : std::vector<request_watch::sample>{};
    std::printf("%s, %s (%d pages): exit %d in %.3f s: %s%s", fc.name.c_str(), p.initial ? "initial" : "delta", p.pages,
                r.exit_code, took, r.out.c_str(), r.err.c_str());

    if (fc.cycle_survives) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(compare_with_source(), "") << "the faulted cycle reported success";
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.out;
      EXPECT_EQ(stored_delta_link(db_path_, "sample_book"), link_before);
      EXPECT_TRUE(compare(mirror_before, mirror()).empty()) << "a failed cycle changed the mirror";
    }
    if (fc.max_cycle_s > 0) {
      EXPECT_LT(took, fc.max_cycle_s);
    }
    if (fc.expect_401 > 0) {
      // Whichever Web API request came first after the revocation: a page, or the estimate of the
      // table's rows that a read of several pages asks for after its first page.
      auto const web_api = [](std::string_view path) { return path.starts_with("/api/data/"); };
      EXPECT_EQ(count_requests(web_api, 401), static_cast<std::uint64_t>(fc.expect_401));
    }
    if (fc.throttled > 0) {
      auto gaps = gaps_after_throttles(samples, static_cast<std::uint64_t>(fc.throttled));
      EXPECT_EQ(gaps.size(), static_cast<std::size_t>(fc.throttled)) << "throttled answers not all observed";
      for (auto const& g : gaps) {
        std::printf("  wait after a throttled answer: at most %.3f s\n", g.longest_possible_s);
        // 30 ms covers the sampling; a client that ignored Retry-After would be off by seconds.
        EXPECT_GE(g.longest_possible_s + 0.03, fc.min_gap_s) << "a request went out before Retry-After elapsed";
        if (p.not_before) {
          EXPECT_GE(g.next_seen_wall + 30ms, *p.not_before) << "a request went out before the Retry-After date";
        }
      }
    }
    faults("[]");
    EXPECT_EQ(converge_and_check(), "");
  }
};

TEST_P(fault_matrix, no_loss_no_corruption_and_recovery) {
  auto const& fc = GetParam();
  bool const gzip = std::find(fc.emulator_flags.begin(), fc.emulator_flags.end(), "--gzip") != fc.emulator_flags.end();
  auto flags = fc.emulator_flags;
  flags.insert(flags.end(), {"--seed", "250"});
  start_emulator(flags);
  auto o = base_config();
  if (fc.tweak) fc.tweak(o);
  use_fresh_database("faults", o);
  // `resync` creates the database, so the initial phase has a mirror (empty) to compare with.
  ASSERT_EQ(dvsync({"resync"}).exit_code, 0);

  phase initial;
  initial.pages = count_pages(initial_url(), o.page_size);
  initial.body_bytes = first_page_bytes(initial_url(), gzip);
  ASSERT_EQ(initial.pages, 3);
  run_phase(fc, initial);
  if (HasFatalFailure()) return;

  // A large delta: every row touched, some created and deleted.
  auto m = emulator_->control("mutate", R"({"fraction":1.0,"seed":5,"create":0.2,"update":0.7,"delete":0.1})");
  ASSERT_EQ(m.status, 200) << m.body;
  phase delta;
  delta.initial = false;
  auto const link = stored_delta_link(db_path_, "sample_book");
  delta.pages = count_pages(link, o.page_size);
  delta.body_bytes = first_page_bytes(link, gzip);
  ASSERT_GE(delta.pages, 3);
  run_phase(fc, delta);
}

INSTANTIATE_TEST_SUITE_P(reliability, fault_matrix, ::testing::ValuesIn(cases()),
                         [](::testing::TestParamInfo<fault_case> const& info) { return info.param.name; });

// T13: an expired delta token (Dataverse 0x80044352, as 400 or as 410) after rows were deleted and
// changed: a full resync removes what was deleted meanwhile.
class token_expiry : public reliability_test, public ::testing::WithParamInterface<int> {};

TEST_P(token_expiry, a_full_resync_reconciles_deletes_missed_meanwhile) {
  start_emulator({"--seed", "2000", "--expired-token-status", std::to_string(GetParam())});
  auto o = base_config();
  o.page_size = 500;
  use_fresh_database("expiry", o);
  ASSERT_EQ(once().exit_code, 0);
  auto m = emulator_->control("mutate", R"({"fraction":0.02,"seed":9,"create":0,"update":1,"delete":1})");
  ASSERT_EQ(m.status, 200) << m.body;
  ASSERT_EQ(emulator_->control("expire-tokens").status, 200);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("full resync (token_expired)"), std::string::npos) << r.out;
  auto s = parse_summary(r.out);
  ASSERT_TRUE(s);
  EXPECT_GT(s->deletes, 0) << "the resync must remove rows deleted while the token was dead";
  std::string problems = check_converged();
  EXPECT_EQ(problems, "");
  report_figure("T13", fmt::format("expired_token_status_{}", GetParam()), problems.empty() ? "pass" : "fail",
                fmt::format("{}_deletes_reconciled", s->deletes));
}

INSTANTIATE_TEST_SUITE_P(reliability, token_expiry, ::testing::Values(400, 410));

}  // namespace
}  // namespace dvsync::test
