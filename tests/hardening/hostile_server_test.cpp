// Hostile servers (issue 12, item 3): the real dvsync binary syncs through a proxy the test
// controls (hostile_proxy.hpp), which forwards to the emulator until the test arms a hostile
// answer for the delta request. For each behaviour: `dvsync run`'s cycles fail with an error that
// names the problem; the mirror and the stored delta link stay as they were; nothing reaches the
// other host the answer points to (a real listener on 127.0.0.2, at the configured port, so only
// the host differs), so the bearer token never leaves the configured host; and once the server
// behaves again, the same daemon process brings the pending change into the mirror.
#include "fixture.hpp"
#include "hostile_proxy.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

bool contains(std::string const& haystack, std::string const& needle) { return haystack.find(needle) != std::string::npos; }

bool wait_until(std::function<bool()> const& done, std::chrono::seconds limit) {
  auto const deadline = steady::now() + limit;
  while (!done()) {
    if (steady::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// The most memory the process has held (VmHWM), in bytes.
std::optional<std::uint64_t> peak_rss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("VmHWM:")) continue;
    std::istringstream fields(line.substr(6));
    std::uint64_t kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  return std::nullopt;
}

testing::scripted_reply json_reply(std::string const& body) {
  return {testing::http_response(200, body, {{"Content-Type", "application/json; odata.metadata=minimal"}}, "OK")};
}

// One hostile answer and what the failed cycle must say about it.
struct hostile_case {
  hostile_proxy::answer reply;
  std::string error;          // a part of the cycle's error message
  std::string also_for = {};  // another request (a part of its target) given the same answer
};

class hostile_server_test : public daemon_test {
 protected:
  void SetUp() override {
    daemon_test::SetUp();
    create_books(1, 3);
    proxy_.emplace(emulator_->origin());
    elsewhere_.emplace("127.0.0.2", proxy_->port());
  }

  void configure(config_overrides o) {
    o.origin = proxy_->origin();
    o.interval_s = 1;
    o.max_attempts = 1;
    o.backoff_cap_s = 1;
    write_config(o);
  }

  // A URL under the configured Web API root, on the proxy.
  std::string here(std::string const& rest) const { return proxy_->origin() + "/api/data/v9.2/" + rest; }
  // The same path on another host (and maybe scheme), at the proxy's port.
  std::string elsewhere(std::string const& rest, std::string const& scheme = "http") const {
    return fmt::format("{}://127.0.0.2:{}/api/data/v9.2/{}", scheme, proxy_->port(), rest);
  }
  std::string where() const { return fmt::format("127.0.0.1:{}", proxy_->port()); }

  // A delta page holding `value` (raw JSON) that ends the read with a valid delta link.
  std::string page_with(std::string const& value) const {
    return fmt::format(R"({{"@odata.context":"{}","value":{},"@odata.deltaLink":"{}"}})", here("$metadata#sample_books"),
                       value, here("sample_books?$select=sample_name&$deltatoken=hostile"));
  }

  std::string log() const { return read_file((dir_ / "hostile.log").string()); }

  // The cycle.failed lines of the daemon's log that say `error`.
  int failures_with(std::string const& error) const {
    std::istringstream in(log());
    int n = 0;
    for (std::string line; std::getline(in, line);)
      if (contains(line, "event=cycle.failed") && contains(line, error)) ++n;
    return n;
  }

  // An initial sync through the proxy, then a change in the source; then `dvsync run` with each
  // case's answer armed in turn for the delta request, and finally none. `during` runs while the
  // last case is armed, with the daemon's pid.
  void expect_refused_then_recovered(std::vector<hostile_case> const& cases, config_overrides o = {},
                                     std::function<void(pid_t)> const& during = {}) {
    configure(o);
    auto first = once();
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    auto const link_before = state("delta_link");
    auto const rows_before = mirror();
    ASSERT_EQ(rows_before.size(), 3u);
    create_book(4);

    auto daemon = start_daemon("hostile.log", {{"JOURNAL_STREAM", ""}});
    for (auto const& c : cases) {
      proxy_->disarm();
      int const answers_before = proxy_->hostile_answers();
      proxy_->arm("$deltatoken", c.reply);
      if (!c.also_for.empty()) proxy_->arm(c.also_for, c.reply);
      // A failure that this answer caused (an earlier case may have said the same).
      int const failures_before = failures_with(c.error);
      ASSERT_TRUE(wait_until(
          [&] {
            return (proxy_->hostile_answers() > answers_before && failures_with(c.error) > failures_before) ||
                   !daemon.running();
          },
          60s))
          << "no cycle failed with \"" << c.error << "\"\n" << log();
      ASSERT_TRUE(daemon.running()) << log();
      // The failure is stored for `dvsync status`; nothing else changed.
      EXPECT_TRUE(contains(state("last_error"), c.error)) << state("last_error");
      EXPECT_LT(state("last_error").size(), 600u) << "the error must not echo the body";
      EXPECT_EQ(state("delta_link"), link_before) << c.error;
      EXPECT_EQ(mirror(), rows_before) << c.error;
    }
    if (during) during(daemon.pid());
    EXPECT_GE(proxy_->hostile_answers(), static_cast<int>(cases.size()));

    // The server behaves again: the same process catches up.
    proxy_->disarm();
    EXPECT_TRUE(wait_until([&] { return state("delta_link") != link_before || !daemon.running(); }, 60s)) << log();
    EXPECT_TRUE(daemon.running()) << log();
    expect_mirror_equals_source();
    EXPECT_EQ(mirror().size(), 4u);
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(30s), 0) << log();

    // The bearer token stayed on the configured host: the other host saw no connection at all,
    // and every request the proxy saw was addressed to the configured host.
    EXPECT_EQ(elsewhere_->connections(), 0);
    for (auto const& r : proxy_->requests()) EXPECT_EQ(r.header("Host").value_or(""), where()) << r.target;
  }

  // 200 MB that must not be read: the daemon stops at sync.max_response_mb (8 MiB here), so the
  // server cannot write much more than that plus the sockets' buffers, and the daemon's memory never
  // holds the body. `framing` is the header block; `block` one piece of the body as framed.
  void expect_body_refused(std::string const& framing, std::string const& block, std::uint64_t blocks,
                           std::string const& error) {
    config_overrides o;
    o.extra_sync = R"(, "max_response_mb": 8)";
    std::optional<std::uint64_t> peak;
    expect_refused_then_recovered(
        {{[=](auto const&) { return testing::scripted_reply{framing, {}, false, block, blocks}; }, error}}, o,
        [&](pid_t pid) { peak = peak_rss(pid); });
    constexpr std::uint64_t mib = 1024 * 1024;
    // Each refused cycle let the server write at most the limit and what the sockets buffer.
    EXPECT_LT(proxy_->bytes_written(), static_cast<std::uint64_t>(proxy_->hostile_answers()) * 40 * mib);
    ASSERT_TRUE(peak.has_value());
    std::printf("server wrote %.1f MiB in %d hostile answers; daemon peak RSS %.1f MiB\n",
                static_cast<double>(proxy_->bytes_written()) / mib, proxy_->hostile_answers(), static_cast<double>(*peak) / mib);
#if !defined(__SANITIZE_ADDRESS__)
    // (ASan's shadow memory and quarantine make the figure meaningless under the sanitizers.)
    EXPECT_LT(*peak, 100 * mib) << "the daemon held more than the limit";
#endif
  }

  std::optional<hostile_proxy> proxy_;
  std::optional<other_host> elsewhere_;
};

TEST_F(hostile_server_test, a_next_link_to_another_host_is_not_followed) {
  auto const body = fmt::format(R"({{"value":[],"@odata.nextLink":"{}"}})", elsewhere("sample_books?$skiptoken=1"));
  expect_refused_then_recovered({{[body](auto const&) { return json_reply(body); },
                                  "link to host 127.0.0.2 rejected: only 127.0.0.1 is followed"}});
}

TEST_F(hostile_server_test, a_delta_link_to_another_host_is_not_stored) {
  auto const body = fmt::format(R"({{"value":[],"@odata.deltaLink":"{}"}})", elsewhere("sample_books?$deltatoken=1"));
  expect_refused_then_recovered({{[body](auto const&) { return json_reply(body); },
                                  "link to host 127.0.0.2 rejected: only 127.0.0.1 is followed"}});
}

TEST_F(hostile_server_test, links_with_another_scheme_are_not_followed) {
  auto const next = fmt::format(R"({{"value":[],"@odata.nextLink":"{}"}})", elsewhere("sample_books?$skiptoken=1", "https"));
  auto const delta = fmt::format(R"({{"value":[],"@odata.deltaLink":"{}"}})", elsewhere("sample_books?$deltatoken=1", "ftp"));
  expect_refused_then_recovered(
      {{[next](auto const&) { return json_reply(next); }, "rejected: scheme https differs from the configured http"},
       {[delta](auto const&) { return json_reply(delta); }, "rejected: scheme ftp differs from the configured http"}});
}

TEST_F(hostile_server_test, redirects_are_not_followed) {
  auto redirect = [this](int status) {
    return [status, location = elsewhere("sample_books?$deltatoken=1")](auto const&) {
      return testing::scripted_reply{testing::http_response(status, "", {{"Location", location}}, "Moved")};
    };
  };
  auto const why = "redirect not followed (dvsync follows no redirects; Location on host 127.0.0.2)";
  expect_refused_then_recovered({{redirect(302), std::string("HTTP 302: ") + why},
                                 {redirect(308), std::string("HTTP 308: ") + why}});
}

TEST_F(hostile_server_test, a_next_link_that_repeats_forever_is_a_loop) {
  // The delta answers with a page that links to a page that links to itself.
  auto const body = fmt::format(R"({{"value":[],"@odata.nextLink":"{}"}})", here("sample_books?$skiptoken=loop"));
  expect_refused_then_recovered({{[body](auto const&) { return json_reply(body); },
                                  "the @odata.nextLink of page 2 leads back to page 2 of this cycle: the server pages in a "
                                  "loop",
                                  "$skiptoken=loop"}});
}

constexpr std::uint64_t body_200mb = 200ull * 1000 * 1000;
std::string const block_64k(64 * 1024, ' ');

TEST_F(hostile_server_test, a_200_mb_body_with_its_length_is_refused_unread) {
  auto const framing = fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body_200mb);
  expect_body_refused(framing, block_64k, body_200mb / block_64k.size(),
                      fmt::format("response body from {} is over the limit of 8 MiB (sync.max_response_mb)", where()));
}

TEST_F(hostile_server_test, a_200_mb_chunked_body_is_read_only_up_to_the_limit) {
  auto const framing = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto const chunk = fmt::format("{:x}\r\n{}\r\n", block_64k.size(), block_64k);
  expect_body_refused(framing, chunk, body_200mb / block_64k.size(),
                      fmt::format("response body from {} is over the limit of 8 MiB (sync.max_response_mb)", where()));
}

TEST_F(hostile_server_test, a_body_arriving_one_byte_a_second_meets_the_whole_request_deadline) {
  // A valid page, but it would take minutes to arrive: each byte resets no per-read timer, and
  // the request's deadline (request_timeout_s) ends it.
  config_overrides o;
  o.request_timeout_s = 2;
  auto const slow = testing::http_response(200, page_with("[]"), {{"Content-Type", "application/json"}}, "OK");
  expect_refused_then_recovered(
      {{[slow](auto const&) { return testing::scripted_reply{slow, 1000ms}; },
        fmt::format("no complete response from {} within 2.0 s", where())}},
      o);
}

std::string book_with_id(std::string const& id_json) {
  return fmt::format(R"([{{"@odata.etag":"W/\"90\"","sample_bookid":{},"sample_name":"Hostile","sample_bookcode":"H1",)"
                     R"("sample_author":"Nobody"}}])",
                     id_json);
}

TEST_F(hostile_server_test, primary_keys_that_are_numbers_objects_or_100_kb_are_refused) {
  auto page = [this](std::string const& id_json) {
    return [body = page_with(book_with_id(id_json))](auto const&) { return json_reply(body); };
  };
  auto const not_a_guid = "value[0]: primary key sample_bookid is not a GUID";
  expect_refused_then_recovered({{page("42"), not_a_guid},
                                 {page(R"({"id":"6f1c1a8e-1f0e-4a53-9d1e-3c0c2a1b0d01"})"), not_a_guid},
                                 {page("\"" + std::string(100 * 1024, 'k') + "\""), not_a_guid}});
}

TEST_F(hostile_server_test, invalid_utf8_is_refused) {
  auto const row = R"([{"@odata.etag":"W/\"90\"","sample_bookid":"6f1c1a8e-1f0e-4a53-9d1e-3c0c2a1b0d01",)"
                   R"("sample_name":"Caf)" + std::string("\xC3\x28") + R"(","sample_bookcode":"H1","sample_author":"A"}])";
  auto const body = page_with(row);
  expect_refused_then_recovered(
      {{[body](auto const&) { return json_reply(body); }, "invalid UTF-8 at offset"},
       {[body](auto const&) { return json_reply(body.substr(0, body.find("Caf")) + "\xFF\xFE\"}]}"); },
        "invalid UTF-8 at offset"}});
}

TEST_F(hostile_server_test, a_value_that_is_not_an_array_is_refused) {
  auto page = [this](std::string const& value) {
    return [body = page_with(value)](auto const&) { return json_reply(body); };
  };
  expect_refused_then_recovered(
      {{page("42"), "value is not an array"}, {page(R"({"0":{}})"), "value is not an array"}, {page("\"rows\""), "value is not an array"}});
}

// A key column (the mirror's PRIMARY KEY, here the alternate key sample_bookcode) that arrives as a
// number or an object is a bad value, not a broken page: the row waits in dvsync_rejects with
// its reason and never enters the mirror; the rest of the page is applied.
TEST_F(hostile_server_test, a_key_column_that_is_a_number_or_an_object_is_a_rejected_row) {
  configure({});
  ASSERT_EQ(once().exit_code, 0);
  auto const rows_before = mirror();
  auto const link = state("delta_link");
  auto const body = fmt::format(
      R"({{"value":[)"
      R"({{"@odata.etag":"W/\"91\"","sample_bookid":"6f1c1a8e-1f0e-4a53-9d1e-3c0c2a1b0d01","sample_name":"N","sample_bookcode":42,"sample_author":"A"}},)"
      R"({{"@odata.etag":"W/\"92\"","sample_bookid":"6f1c1a8e-1f0e-4a53-9d1e-3c0c2a1b0d02","sample_name":"O","sample_bookcode":{{"k":1}},"sample_author":"A"}}],)"
      R"("@odata.deltaLink":"{}"}})",
      link);
  proxy_->arm("$deltatoken", [body](auto const&) { return json_reply(body); });
  auto r = once();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(mirror(), rows_before);
  EXPECT_EQ(query_text(db_path_, "SELECT group_concat(reason, ' | ') FROM (SELECT reason FROM dvsync_rejects ORDER BY id)"),
            "attribute sample_bookcode: expected a string, not a number | "
            "attribute sample_bookcode: expected a string, not an object");
  EXPECT_EQ(elsewhere_->connections(), 0);
}

}  // namespace
}  // namespace dvsync::test
