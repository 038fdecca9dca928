// The emulator over real HTTP on 127.0.0.1: the sample's golden scenario, paging, service
// protection limits, gzip and the control API.
#include "web_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace dvsync::test {
namespace {

namespace json = boost::json;

constexpr auto tracked_select = "sample_books?$select=sample_bookcode,sample_name,sample_author";

std::int64_t etag_version(json::object const& row) {
  auto etag = std::string(row.at("@odata.etag").as_string());  // W/"123"
  return std::stoll(etag.substr(3, etag.size() - 4));
}

TEST(emulator_server, sample_golden_scenario_over_http) {
  emulator_process emu;
  auto token = emu.token();
  create_books(emu, token, 0, 9);

  auto initial = read_all(emu.api_url(tracked_select), token, "odata.track-changes");
  ASSERT_EQ(initial.rows.size(), 10u);
  ASSERT_FALSE(initial.delta_link.empty());
  EXPECT_TRUE(initial.delta_link.starts_with(emu.origin() + "/api/data/v9.2/sample_books?"));
  EXPECT_NE(initial.delta_link.find("$deltatoken="), std::string::npos);
  std::string book1_id;
  for (auto const& row : initial.rows)
    if (row.at("sample_bookcode") == "BookCode1") book1_id = std::string(row.at("sample_bookid").as_string());
  ASSERT_FALSE(book1_id.empty());

  create_books(emu, token, 10, 19);
  auto patch = api_call("PATCH", emu.api_url("sample_books(sample_bookcode='BookCode0')"), token,
                        R"({"sample_name":"Demo Book 0 updated 10:42 AM"})", {{"If-Match", "*"}});
  ASSERT_EQ(patch.status, 204) << patch.body;
  auto del = api_call("DELETE", emu.api_url("sample_books(sample_bookcode='BookCode1')"), token);
  ASSERT_EQ(del.status, 204) << del.body;

  auto delta = read_all(initial.delta_link, token, "odata.track-changes");
  ASSERT_EQ(delta.rows.size(), 12u);
  std::vector<std::string> codes;
  std::int64_t last_version = 0;
  for (std::size_t i = 0; i < 11; ++i) {
    auto const& row = delta.rows[i].as_object();
    codes.emplace_back(row.at("sample_bookcode").as_string());
    auto v = etag_version(row);
    EXPECT_GT(v, last_version) << "upserts come in ascending version";
    last_version = v;
  }
  std::vector<std::string> expected;
  for (int i = 10; i <= 19; ++i) expected.push_back("BookCode" + std::to_string(i));
  expected.emplace_back("BookCode0");
  EXPECT_EQ(codes, expected);
  EXPECT_EQ(delta.rows[10].at("sample_name"), "Demo Book 0 updated 10:42 AM");
  auto const& deleted = delta.rows[11].as_object();
  EXPECT_TRUE(deleted.at("@odata.context").as_string().ends_with("$metadata#sample_books/$deletedEntity"));
  EXPECT_EQ(deleted.at("id"), book1_id.c_str());
  EXPECT_EQ(deleted.at("reason"), "deleted");
  EXPECT_TRUE(delta.pages.back().at("@odata.context").as_string().ends_with("/$delta"));

  auto again = read_all(delta.delta_link, token, "odata.track-changes");
  EXPECT_TRUE(again.rows.empty());
  EXPECT_FALSE(again.delta_link.empty());
}

TEST(emulator_server, maxpagesize_3_pages_10_rows_with_next_links_and_a_delta_link_on_the_last_page) {
  emulator_process emu;
  auto token = emu.token();
  create_books(emu, token, 0, 9);
  auto read = read_all(emu.api_url(tracked_select), token, "odata.track-changes,odata.maxpagesize=3");
  ASSERT_EQ(read.pages.size(), 4u);
  std::vector<std::size_t> sizes;
  for (auto const& p : read.pages) sizes.push_back(p.at("value").as_array().size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 3, 1}));
  for (std::size_t i = 0; i + 1 < read.pages.size(); ++i) {
    EXPECT_TRUE(read.pages[i].contains("@odata.nextLink"));
    EXPECT_FALSE(read.pages[i].contains("@odata.deltaLink"));
  }
  EXPECT_FALSE(read.pages.back().contains("@odata.nextLink"));
  EXPECT_FALSE(read.delta_link.empty());
  std::set<std::string> codes;
  for (auto const& row : read.rows) codes.insert(std::string(row.at("sample_bookcode").as_string()));
  EXPECT_EQ(codes.size(), 10u);

  auto first = api_call("GET", emu.api_url(tracked_select), token, {}, {{"Prefer", "odata.maxpagesize=3"}});
  EXPECT_NE(first.header("Preference-Applied").value_or("").find("odata.maxpagesize=3"), std::string::npos);
}

TEST(emulator_server, throttle_answers_429_with_retry_after_and_the_service_protection_error) {
  emulator_process emu({"--throttle", "3/60"});
  auto token = emu.token();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(api_call("GET", emu.api_url("sample_books"), token).status, 200);
  auto r = api_call("GET", emu.api_url("sample_books"), token);
  ASSERT_EQ(r.status, 429);
  auto retry = r.header("Retry-After");
  ASSERT_TRUE(retry.has_value());
  auto seconds = std::stoi(*retry);
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 60);
  auto body = json_of(r);
  EXPECT_EQ(body.at("error").at("code"), "0x80072322");
  EXPECT_EQ(body.at("error").at("message"), "Number of requests exceeded the limit of 3 over time window of 60 seconds.");
  // The token endpoint and the control API are not Web API requests.
  EXPECT_EQ(request_token(emu.origin(), emulator_client_id, emulator_client_secret).status, 200);
  EXPECT_EQ(emu.control_get("health").status, 200);
}

TEST(emulator_server, the_limits_count_each_registered_client_apart) {
  emulator_process emu({"--throttle", "2/60", "--extra-client", "second-app:second-secret"});
  auto const first = emu.token();
  auto const second = emu.token("second-app", "second-secret");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(api_call("GET", emu.api_url("sample_books"), first).status, 200);
  EXPECT_EQ(api_call("GET", emu.api_url("sample_books"), first).status, 429);
  EXPECT_EQ(api_call("GET", emu.api_url("sample_books"), emu.token()).status, 429) << "a new token of the same client";
  for (int i = 0; i < 2; ++i) EXPECT_EQ(api_call("GET", emu.api_url("sample_books"), second).status, 200);
  EXPECT_EQ(api_call("GET", emu.api_url("sample_books"), second).status, 429);
}

TEST(emulator_server, gzip_bodies_decompress_to_the_plain_body) {
  emulator_process emu({"--gzip", "--seed", "sample"});
  auto token = emu.token();
  auto plain = api_call("GET", emu.api_url(tracked_select), token);
  ASSERT_EQ(plain.status, 200);
  EXPECT_FALSE(plain.header("Content-Encoding").has_value());
  auto packed = api_call("GET", emu.api_url(tracked_select), token, {}, {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_EQ(packed.status, 200) << packed.error;
  EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
  EXPECT_EQ(std::stoul(packed.header("Content-Length").value_or("0")), packed.body.size());
  EXPECT_LT(packed.body.size(), plain.body.size());
  EXPECT_EQ(gunzip(packed.body), plain.body);
}

TEST(emulator_server, without_gzip_flag_accept_encoding_is_ignored) {
  emulator_process emu({"--seed", "sample"});
  auto r = api_call("GET", emu.api_url("sample_books"), emu.token(), {}, {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.header("Content-Encoding").has_value());
  EXPECT_NO_THROW(json::parse(r.body));
}

TEST(emulator_server, control_api_seeds_mutates_dumps_and_counts) {
  emulator_process emu;
  auto seeded = emu.control("seed", R"({"entity_set":"sample_books","count":500,"seed":7})");
  ASSERT_EQ(seeded.status, 200) << seeded.body;
  EXPECT_EQ(json_of(seeded).at("rows"), 500);
  auto dump = json_of(emu.control_get("rows?entity_set=sample_books"));
  ASSERT_EQ(dump.as_array().size(), 500u);
  EXPECT_TRUE(dump.as_array()[0].as_object().contains("version"));

  auto mutated = emu.control("mutate", R"({"entity_set":"sample_books","fraction":0.1,"seed":3,"create":1,"update":1,"delete":1})");
  ASSERT_EQ(mutated.status, 200) << mutated.body;
  auto counts = json_of(mutated);
  auto created = counts.at("created").as_int64();
  auto deleted = counts.at("deleted").as_int64();
  EXPECT_EQ(created + counts.at("updated").as_int64() + deleted, 50);
  EXPECT_EQ(json_of(emu.control_get("rows")).as_array().size(), static_cast<std::size_t>(500 + created - deleted));

  auto token = emu.token();
  ASSERT_EQ(emu.control("stats/reset").status, 200);
  api_call("GET", emu.api_url("sample_books?$top=1"), token);
  api_call("GET", emu.api_url("sample_books?$top=2"), token);
  api_call("GET", emu.api_url("nothing_here"), token);
  auto stats = json_of(emu.control_get("stats"));
  EXPECT_EQ(stats.at("total_requests"), 3);
  EXPECT_GT(stats.at("bytes_sent").to_number<std::uint64_t>(), 0u);
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> seen;
  for (auto const& row : stats.at("requests").as_array())
    seen[{std::string(row.at("path").as_string()), row.at("status").to_number<std::int64_t>()}] =
        row.at("count").to_number<std::int64_t>();
  EXPECT_EQ((seen[{"/api/data/v9.2/sample_books", 200}]), 2);
  EXPECT_EQ((seen[{"/api/data/v9.2/nothing_here", 404}]), 1);

  EXPECT_EQ(emu.control("reset").status, 200);
  EXPECT_TRUE(json_of(emu.control_get("rows")).as_array().empty());
}

TEST(emulator_server, control_api_refuses_bad_input_with_a_message) {
  emulator_process emu;
  auto bad_json = emu.control("seed", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_TRUE(json_of(bad_json).at("error").is_string());
  EXPECT_EQ(emu.control("seed", R"({"entity_set":"no_such_set","count":1})").status, 400);
  EXPECT_EQ(emu.control("mutate", R"({"seed":1})").status, 400);
  EXPECT_EQ(emu.control("no-such-endpoint").status, 404);
  EXPECT_EQ(emu.control_get("reset").status, 405);
  auto faults = emu.control("faults", R"([{"match":{"path":"x"},"bogus":1}])");
  EXPECT_EQ(faults.status, 400);
  EXPECT_NE(faults.body.find("bogus"), std::string::npos);
}

TEST(emulator_server, expire_tokens_makes_the_next_delta_request_fail_with_0x80044352) {
  emulator_process emu({"--seed", "sample"});
  auto token = emu.token();
  auto read = read_all(emu.api_url(tracked_select), token, "odata.track-changes");
  ASSERT_FALSE(read.delta_link.empty());
  ASSERT_EQ(emu.control("expire-tokens").status, 200);
  auto r = api_call("GET", read.delta_link, token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r).at("error").at("code"), "0x80044352");
}

TEST(emulator_server, advance_clock_past_the_retention_expires_old_tokens) {
  emulator_process emu({"--seed", "sample", "--change-retention-days", "2"});
  auto token = emu.token();
  auto read = read_all(emu.api_url(tracked_select), token, "odata.track-changes");
  ASSERT_EQ(emu.control("advance-clock", R"({"seconds":86400})").status, 200);
  EXPECT_EQ(api_call("GET", read.delta_link, token).status, 200);
  ASSERT_EQ(emu.control("advance-clock", R"({"seconds":259200})").status, 200);
  auto r = api_call("GET", read.delta_link, token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r).at("error").at("code"), "0x80044352");
}

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct keep_alive_outcome {
  std::vector<int> statuses;
  std::vector<bool> kept_alive;
  std::string error;
};

// Three requests on one connection, each bounded by a deadline.
asio::awaitable<void> three_requests_on_one_connection(std::uint16_t port, keep_alive_outcome& out) {
  auto use_tuple = asio::as_tuple(asio::use_awaitable);
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::seconds(5));
  auto [connect_ec] = co_await stream.async_connect({asio::ip::make_address("127.0.0.1"), port}, use_tuple);
  if (connect_ec) {
    out.error = connect_ec.message();
    co_return;
  }
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    http::request<http::empty_body> req{http::verb::get, "/api/data/v9.2/sample_books", 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    stream.expires_after(std::chrono::seconds(5));
    auto [write_ec, written] = co_await http::async_write(stream, req, use_tuple);
    http::response<http::string_body> res;
    auto [read_ec, read] = co_await http::async_read(stream, buffer, res, use_tuple);
    if (write_ec || read_ec) {
      out.error = (write_ec ? write_ec : read_ec).message();
      co_return;
    }
    out.statuses.push_back(res.result_int());
    out.kept_alive.push_back(res.keep_alive());
  }
}

TEST(emulator_server, keeps_http_1_1_connections_alive) {
  emulator_process emu({"--no-auth", "--seed", "sample"});
  asio::io_context ioc;
  keep_alive_outcome out;
  asio::co_spawn(ioc, three_requests_on_one_connection(emu.port(), out), [&out](std::exception_ptr e) {
    if (e) out.error = "the client coroutine threw";
  });
  ioc.run();
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.statuses, (std::vector<int>{200, 200, 200}));
  EXPECT_EQ(out.kept_alive, (std::vector<bool>{true, true, true}));
}

struct continue_outcome {
  std::string interim;  // what came back after the header alone
  int final_status = 0;
  std::string error;
};

// Sends the header with Expect: 100-continue, waits for the interim answer, then sends the body.
asio::awaitable<void> post_with_expect_continue(std::uint16_t port, std::string body, continue_outcome& out) {
  auto use_tuple = asio::as_tuple(asio::use_awaitable);
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::seconds(5));
  auto [connect_ec] = co_await stream.async_connect({asio::ip::make_address("127.0.0.1"), port}, use_tuple);
  std::string head = "POST /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  auto [head_ec, head_n] = co_await asio::async_write(stream, asio::buffer(head), use_tuple);
  std::string interim;
  auto [interim_ec, interim_n] = co_await asio::async_read_until(stream, asio::dynamic_buffer(interim), "\r\n\r\n", use_tuple);
  if (connect_ec || head_ec || interim_ec) {
    out.error = (connect_ec ? connect_ec : head_ec ? head_ec : interim_ec).message();
    co_return;
  }
  out.interim = interim.substr(0, interim_n);
  auto [body_ec, body_n] = co_await asio::async_write(stream, asio::buffer(body), use_tuple);
  beast::flat_buffer buffer;
  buffer.commit(asio::buffer_copy(buffer.prepare(interim.size() - interim_n), asio::buffer(interim) + interim_n));
  http::response<http::string_body> res;
  auto [read_ec, read_n] = co_await http::async_read(stream, buffer, res, use_tuple);
  if (body_ec || read_ec) {
    out.error = (body_ec ? body_ec : read_ec).message();
    co_return;
  }
  out.final_status = res.result_int();
}

TEST(emulator_server, answers_expect_100_continue_before_reading_the_body) {
  emulator_process emu;
  std::string script = R"([{"match":{"path":"nothing-matches-this"},"status":500,"body":")" + std::string(2000, 'x') + R"("}])";
  asio::io_context ioc;
  continue_outcome out;
  asio::co_spawn(ioc, post_with_expect_continue(emu.port(), script, out), [&out](std::exception_ptr e) {
    if (e) out.error = "the client coroutine threw";
  });
  ioc.run();
  EXPECT_EQ(out.error, "");
  EXPECT_TRUE(out.interim.starts_with("HTTP/1.1 100 Continue\r\n")) << out.interim;
  EXPECT_EQ(out.final_status, 200);
  EXPECT_EQ(json_of(emu.control_get("faults")).at("faults").as_array().size(), 1u);
}

TEST(emulator_server, health_reports_the_entity_sets) {
  emulator_process emu;
  auto r = emu.control_get("health");
  ASSERT_EQ(r.status, 200);
  auto body = json_of(r);
  EXPECT_EQ(body.at("status"), "ok");
  auto const& sets = body.at("entity_sets").as_array();
  EXPECT_NE(std::find(sets.begin(), sets.end(), json::value("sample_books")), sets.end());
}

}  // namespace
}  // namespace dvsync::test
