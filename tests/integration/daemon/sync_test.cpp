// The daemon against the emulator: Microsoft's sample, paging, key changes, deletes, rejects,
// token expiry, throttling, truncated pages and a crash between pages. Every test ends with the
// oracle: the mirror equals the emulator's table, and the database is sound.
#include "fixture.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

class sync_test : public daemon_test {
 protected:
  // Runs `dvsync once` and kills it while it waits for the page after the `pages`-th of its cycle,
  // so that `pages` pages are staged.
  void kill_once_after_pages(int pages) {
    faults(fmt::format(R"([{{"match":{{"method":"GET","path":"sample_books","skip":{}}},"delay_ms":30000,"count":1}}])",
                       pages));
    auto running = child({dvsync_binary(), "once", "--config", config_path_}, secret_env(), (dir_ / "killed.log").string());
    ASSERT_TRUE(wait_for_state("pages_staged", std::to_string(pages), 20s));
    running.signal(SIGKILL);
    running.wait(5s);
  }
};

config_overrides page_size(int n) {
  config_overrides o;
  o.page_size = n;
  return o;
}

TEST_F(sync_test, microsoft_sample_initial_sync_then_eleven_upserts_and_one_delete) {
  create_books(0, 9);
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "sample_book: initial sync, 1 page, 10 upserts, 0 deletes")) << first.out;
  expect_mirror_equals_source();
  EXPECT_EQ(mirror().size(), 10u);

  create_books(10, 19);
  ASSERT_EQ(api("PATCH", "sample_books(sample_bookcode='BookCode0')", R"({"sample_name":"Demo Book 0 updated"})").status, 204);
  auto deleted_id = id_of("BookCode1");
  ASSERT_EQ(api("DELETE", "sample_books(sample_bookcode='BookCode1')").status, 204);

  auto second = once();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "sample_book: delta cycle, 1 page, 11 upserts, 1 delete, 0 rejects, 19 rows")) << second.out;
  expect_mirror_equals_source();
  EXPECT_FALSE(mirror().contains(deleted_id));
  EXPECT_EQ(query_text(db_path_, "SELECT sample_name FROM sample_book WHERE sample_bookcode = 'BookCode0'"), "Demo Book 0 updated");

  auto idle = once();
  ASSERT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_TRUE(contains(idle.out, "delta cycle, 1 page, 0 upserts, 0 deletes")) << idle.out;
}

TEST_F(sync_test, follows_every_page_of_an_initial_read_and_of_a_delta) {
  write_config(page_size(3));
  create_books(0, 9);
  auto first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "4 pages, 10 upserts")) << first.out;
  EXPECT_EQ(requests("/sample_books", 200), 4u);
  expect_mirror_equals_source();

  create_books(10, 14);
  ASSERT_EQ(api("DELETE", "sample_books(sample_bookcode='BookCode3')").status, 204);
  ASSERT_EQ(api("DELETE", "sample_books(sample_bookcode='BookCode4')").status, 204);
  ASSERT_EQ(api("PATCH", "sample_books(sample_bookcode='BookCode5')", R"({"sample_author":"Someone Else"})").status, 204);
  auto second = once();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "3 pages, 6 upserts, 2 deletes")) << second.out;
  expect_mirror_equals_source();
}

TEST_F(sync_test, key_change_and_key_swap_within_one_cycle_end_equal_to_the_source) {
  create_books(0, 4);
  ASSERT_EQ(once().exit_code, 0);
  auto a = id_of("BookCode0"), b = id_of("BookCode1"), c = id_of("BookCode2");
  // Swap the codes of a and b through a temporary code, and move c to a fresh code.
  ASSERT_EQ(api("PATCH", "sample_books(" + a + ")", R"({"sample_bookcode":"swap-tmp"})").status, 204);
  ASSERT_EQ(api("PATCH", "sample_books(" + b + ")", R"({"sample_bookcode":"BookCode0"})").status, 204);
  ASSERT_EQ(api("PATCH", "sample_books(" + a + ")", R"({"sample_bookcode":"BookCode1"})").status, 204);
  ASSERT_EQ(api("PATCH", "sample_books(" + c + ")", R"({"sample_bookcode":"BookCode99"})").status, 204);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();
  EXPECT_EQ(query_text(db_path_, "SELECT sample_bookid FROM sample_book WHERE sample_bookcode = 'BookCode0'"), b);
  EXPECT_EQ(query_text(db_path_, "SELECT sample_bookid FROM sample_book WHERE sample_bookcode = 'BookCode1'"), a);
}

TEST_F(sync_test, a_row_created_and_deleted_between_polls_is_a_harmless_delete) {
  create_books(0, 2);
  ASSERT_EQ(once().exit_code, 0);
  create_book(50);
  ASSERT_EQ(api("DELETE", "sample_books(sample_bookcode='BookCode50')").status, 204);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "0 upserts, 1 delete, 0 rejects, 3 rows")) << r.out;
  expect_mirror_equals_source();
}

TEST_F(sync_test, rows_without_a_key_go_to_rejects_and_come_back_when_they_get_one) {
  create_books(0, 2);
  ASSERT_EQ(api("POST", "sample_books", R"({"sample_name":"No code yet","sample_author":"Anon"})").status, 204);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "1 reject, 3 rows")) << r.out;
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM dvsync_rejects"), "1");
  EXPECT_TRUE(contains(query_text(db_path_, "SELECT raw_json FROM dvsync_rejects"), "No code yet"));
  auto st = dvsync({"status"});
  EXPECT_TRUE(contains(st.out, "1 rejects")) << st.out;

  // A row that loses its key (Dataverse stores "" as null) leaves the mirror for the rejects;
  // the keyless one gains a key.
  auto keyless = query_text(db_path_, "SELECT id FROM dvsync_rejects");
  ASSERT_EQ(api("PATCH", "sample_books(" + keyless + ")", R"({"sample_bookcode":"Late"})").status, 204);
  ASSERT_EQ(api("PATCH", "sample_books(sample_bookcode='BookCode2')", R"({"sample_bookcode":""})").status, 204);
  r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_mirror_equals_source();
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM dvsync_rejects"), "1");
  EXPECT_EQ(query_text(db_path_, "SELECT reason FROM dvsync_rejects"), "key sample_bookcode is null");
  EXPECT_EQ(query_text(db_path_, "SELECT sample_name FROM sample_book WHERE sample_bookcode = 'Late'"), "No code yet");
}

TEST_F(sync_test, expired_token_triggers_a_full_resync_that_removes_rows_deleted_meanwhile) {
  create_books(0, 9);
  ASSERT_EQ(once().exit_code, 0);
  for (int i : {2, 4, 6}) ASSERT_EQ(api("DELETE", fmt::format("sample_books(sample_bookcode='BookCode{}')", i)).status, 204);
  ASSERT_EQ(api("PATCH", "sample_books(sample_bookcode='BookCode7')", R"({"sample_name":"changed"})").status, 204);
  ASSERT_EQ(emulator_->control("expire-tokens").status, 200);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "full resync (token_expired)")) << r.out;
  EXPECT_TRUE(contains(r.out, "3 deletes")) << r.out;
  expect_mirror_equals_source();
  EXPECT_EQ(mirror().size(), 7u);
  auto next = once();
  EXPECT_TRUE(contains(next.out, "delta cycle")) << next.out;
}

TEST_F(sync_test, waits_for_retry_after_seconds_on_429) {
  create_books(0, 2);
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"status":429,"retry_after":"2","count":1,
             "body":"{\"error\":{\"code\":\"0x80072322\",\"message\":\"Number of requests exceeded the limit\"}}"}])");
  auto started = std::chrono::steady_clock::now();
  auto r = once();
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(took, 2s) << "a request went out before Retry-After elapsed";
  EXPECT_EQ(requests("/sample_books", 429), 1u);
  expect_mirror_equals_source();
}

TEST_F(sync_test, waits_for_a_retry_after_http_date_on_503) {
  create_books(0, 2);
  auto at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + 3s);
  std::tm tm{};
  gmtime_r(&at, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  faults(fmt::format(R"([{{"match":{{"method":"GET","path":"sample_books"}},"status":503,"retry_after":"{}","count":1}}])", date));
  auto started = std::chrono::steady_clock::now();
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2s);
  expect_mirror_equals_source();
}

TEST_F(sync_test, a_truncated_page_is_fetched_again_and_never_applied_half) {
  write_config(page_size(3));
  create_books(0, 9);
  faults(R"([{"match":{"method":"GET","path":"sample_books","skip":1},"truncate_after":120,"count":1}])");
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(requests("/sample_books", 200), 5u) << "4 pages and the truncated one again";
  expect_mirror_equals_source();
}

TEST_F(sync_test, persistent_failure_fails_the_cycle_and_leaves_mirror_and_link_untouched) {
  create_books(0, 4);
  ASSERT_EQ(once().exit_code, 0);
  auto link = stored_delta_link(db_path_, "sample_book");
  create_books(5, 6);
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"status":500,"count":-1}])");
  auto r = once();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "once failed")) << r.err;
  EXPECT_EQ(stored_delta_link(db_path_, "sample_book"), link);
  EXPECT_EQ(mirror().size(), 5u);
  EXPECT_FALSE(state("last_error").empty());
  faults("[]");
  ASSERT_EQ(once().exit_code, 0);
  expect_mirror_equals_source();
  EXPECT_TRUE(state("last_error").empty());
}

TEST_F(sync_test, killed_mid_initial_sync_resumes_from_the_last_committed_page) {
  write_config(page_size(2));
  create_books(0, 19);  // 10 pages
  // Hold the 5th page long enough to kill the process while it waits for it.
  faults(R"([{"match":{"method":"GET","path":"sample_books","skip":4},"delay_ms":30000,"count":1}])");
  auto running = child({dvsync_binary(), "once", "--config", config_path_}, secret_env(), (dir_ / "killed.log").string());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (requests("/sample_books", 200) < 4 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(300ms);  // the 5th request is now being held
  running.signal(SIGKILL);
  EXPECT_EQ(running.wait(5s), -SIGKILL);

  EXPECT_EQ(state("pages_staged"), "4");
  EXPECT_EQ(query_text(db_path_, "SELECT count(*) FROM sample_book"), "0") << "readers must not see a partial initial sync";
  EXPECT_EQ(integrity_check(db_path_), "ok");

  faults("[]");
  auto before = requests("/sample_books", 200);
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "initial sync, resumed, 6 pages")) << r.out;
  EXPECT_EQ(requests("/sample_books", 200) - before, 6u) << "pages 5-10 only: nothing committed is fetched again";
  expect_mirror_equals_source();
}

TEST_F(sync_test, a_refused_cursor_restarts_the_interrupted_cycle_from_its_beginning) {
  write_config(page_size(2));
  create_books(0, 9);
  ASSERT_NO_FATAL_FAILURE(kill_once_after_pages(2));
  ASSERT_EQ(state("pages_staged"), "2");

  // The server no longer knows the saved nextLink: 400 on it, once.
  faults(R"([{"match":{"method":"GET","path":"skiptoken"},"status":400,"count":1,
             "body":"{\"error\":{\"code\":\"0x0\",\"message\":\"Invalid paging cookie\"}}"}])");
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "initial sync, 5 pages, 10 upserts")) << r.out;
  expect_mirror_equals_source();
}

// A 404 on a table's data request is taken for a table gone (it reads the metadata again), but on
// a resumed nextLink it may be the link alone: the cycle starts from its beginning, which says
// which it was.
TEST_F(sync_test, a_cursor_answered_404_restarts_the_interrupted_cycle_from_its_beginning) {
  write_config(page_size(2));
  create_books(0, 9);
  ASSERT_NO_FATAL_FAILURE(kill_once_after_pages(2));
  ASSERT_EQ(state("pages_staged"), "2");

  faults(R"([{"match":{"method":"GET","path":"skiptoken"},"status":404,"count":1,
             "body":"{\"error\":{\"code\":\"0x0\",\"message\":\"Not found\"}}"}])");
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "event=cycle.cursor_refused")) << r.err;
  EXPECT_TRUE(contains(r.out, "initial sync, 5 pages, 10 upserts")) << r.out;
  expect_mirror_equals_source();
}

TEST_F(sync_test, a_delta_whose_staged_pages_were_dropped_by_hand_starts_again_and_loses_nothing) {
  write_config(page_size(2));
  create_books(0, 3);
  ASSERT_EQ(once().exit_code, 0);
  create_books(4, 13);  // a delta of 5 pages
  ASSERT_NO_FATAL_FAILURE(kill_once_after_pages(2));
  ASSERT_EQ(state("cycle_kind"), "delta");

  // Someone drops the working table of the cycle in progress.
  exec_sql(db_path_, "DROP TABLE dvsync_stage_sample_book");
  faults("[]");
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "event=cycle.staging_lost")) << r.err;
  EXPECT_TRUE(contains(r.out, "delta cycle")) << r.out;
  EXPECT_TRUE(contains(r.out, "10 upserts")) << r.out;
  expect_mirror_equals_source();
}

TEST_F(sync_test, status_and_resync_need_no_secret_but_syncing_does) {
  create_books(0, 1);
  ASSERT_EQ(once().exit_code, 0);
  environment no_secret{{"DVSYNC_CLIENT_SECRET", ""}};
  auto st = dvsync({"status", "--json"}, no_secret);
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_TRUE(contains(st.out, "\"phase\":\"idle\"")) << st.out;
  EXPECT_TRUE(contains(st.out, "\"rows\":2")) << st.out;
  EXPECT_EQ(dvsync({"resync"}, no_secret).exit_code, 0);
  auto refused = dvsync({"once"}, no_secret);
  EXPECT_EQ(refused.exit_code, 78);
  EXPECT_TRUE(contains(refused.err, "auth.client_secret_file")) << refused.err;
}

TEST_F(sync_test, manual_resync_rereads_the_whole_table) {
  create_books(0, 4);
  ASSERT_EQ(once().exit_code, 0);
  auto marked = dvsync({"resync"});
  ASSERT_EQ(marked.exit_code, 0) << marked.err;
  auto r = once();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "full resync (manual)")) << r.out;
  expect_mirror_equals_source();
}

}  // namespace
}  // namespace dvsync::test
