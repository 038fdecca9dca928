// What the daemon writes: JSON lines for containers, journald priority prefixes under systemd, and
// never a secret or a bearer token, whatever goes wrong, at the most verbose level.
#include "ops_fixture.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <csignal>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// JOURNAL_STREAM's value made from the stat of the file that will be the child's stderr.
using journal_stream_of = std::function<std::string(struct stat const&)>;

class logs_test : public ops_test {
 protected:
  // `dvsync once` with stderr going to a file (as it goes to journald's stream socket under
  // systemd) and JOURNAL_STREAM set as `journal_stream` says; the log lines it wrote (the child's
  // stdout shares the file: the per-table summary lines are left out).
  std::vector<std::string> once_with_stderr_to_file(std::string const& name, journal_stream_of const& journal_stream) {
    auto path = log_path(name);
    write_file(path, "");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
    auto env = secret_env();
    env["JOURNAL_STREAM"] = journal_stream(st);
    child c({dvsync_binary(), "once", "--config", config_path_, "--log-level", "debug"}, env, path);
    int code = c.wait(std::chrono::seconds(60));
    if (code != 0) throw std::runtime_error("dvsync once exited " + std::to_string(code) + ":\n" + read_file(path));
    std::vector<std::string> log_lines;
    for (auto& line : lines_of(read_file(path)))
      if (!line.starts_with("sample_book: ")) log_lines.push_back(std::move(line));
    return log_lines;
  }
};

TEST_F(logs_test, log_format_json_writes_one_json_object_per_line) {
  create_books(0, 6);
  write_config([] {
    config_overrides o;
    o.page_size = 3;
    return o;
  }());
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"status":503,"retry_after":1,"count":1}])");
  auto r = dvsync({"once", "--log-format", "json", "--log-level", "debug"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.err);
  ASSERT_FALSE(lines.empty());
  std::vector<std::string> events;
  for (auto const& line : lines) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    ASSERT_TRUE(v.is_object()) << line;
    auto const& o = v.as_object();
    for (auto const* key : {"time", "level", "event"}) ASSERT_TRUE(o.contains(key) && o.at(key).is_string()) << line;
    events.emplace_back(o.at("event").as_string());
    if (o.at("event") == "cycle.done") {
      EXPECT_EQ(o.at("level"), "info");
      EXPECT_EQ(o.at("table"), "sample_book");
      EXPECT_EQ(o.at("pages"), "3");
      EXPECT_EQ(o.at("upserts"), "7");
    }
    if (o.at("event") == "dataverse.retry") {
      EXPECT_EQ(o.at("level"), "warn");
    }
  }
  for (auto const* e : {"cycle.start", "cycle.page", "dataverse.retry", "cycle.done"})
    EXPECT_NE(std::find(events.begin(), events.end(), e), events.end()) << e << " missing from\n" << r.err;
}

TEST_F(logs_test, journal_stream_naming_stderr_adds_priority_prefixes_that_match_the_level) {
  create_books(0, 6);
  write_config([] {
    config_overrides o;
    o.page_size = 3;
    return o;
  }());
  faults(R"([{"match":{"method":"GET","path":"sample_books"},"status":429,"retry_after":1,"count":1}])");
  auto lines = once_with_stderr_to_file("journal.log", [](struct stat const& st) {
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  });
  std::regex const shape("^<([0-7])>level=(debug|info|warn|error) event=[a-z_.]+( .*)?$");
  std::map<std::string, std::string> priority_of{{"debug", "7"}, {"info", "6"}, {"warn", "4"}, {"error", "3"}};
  std::set<std::string> seen;
  for (auto const& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, shape)) << line;
    EXPECT_EQ(m[1].str(), priority_of.at(m[2].str())) << line;
    EXPECT_EQ(line.find("time="), std::string::npos) << "journald adds the time: " << line;
    seen.insert(m[1].str());
  }
  EXPECT_TRUE(seen.contains("7") && seen.contains("6") && seen.contains("4")) << lines.size() << " lines";
}

// systemd.exec(5): a service may start a program whose stderr it redirected without unsetting
// JOURNAL_STREAM; that program must see that the variable names another stream, and write plain
// lines with their own time. So must a program given no JOURNAL_STREAM at all, or a malformed one.
TEST_F(logs_test, journal_stream_naming_another_stream_or_nothing_leaves_plain_lines) {
  create_books(0, 2);
  write_config();
  std::vector<std::pair<std::string, journal_stream_of>> cases{
      {"another_inode", [](struct stat const& st) {
         return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
       }},
      {"another_device", [](struct stat const& st) {
         return std::to_string(st.st_dev + 1) + ":" + std::to_string(st.st_ino);
       }},
      {"unset", [](struct stat const&) { return std::string(); }},
      {"malformed", [](struct stat const& st) { return std::to_string(st.st_dev) + "-" + std::to_string(st.st_ino); }},
  };
  for (auto const& [name, journal_stream] : cases) {
    auto lines = once_with_stderr_to_file(name + ".log", journal_stream);
    ASSERT_FALSE(lines.empty()) << name;
    for (auto const& line : lines) EXPECT_TRUE(line.starts_with("time=")) << name << ": " << line;
  }
}

// The emulator's credentials carry a canary secret; every bearer token it hands out is a canary
// too. The daemon runs at debug level through throttling, server errors, resets, revoked and
// expiring bearer tokens, an expired delta token and a wrong secret; no output may hold any of them.
TEST_F(logs_test, no_secret_or_bearer_token_appears_in_any_output) {
  std::string const canary = "canary-secret-7f3a9c1e5b";
  start_emulator({"--client-secret", canary, "--token-lifetime-s", "2", "--seed", "sample"});
  config_overrides o;
  o.page_size = 3;
  o.interval_s = 1;
  o.extra_top_level = metrics_at("127.0.0.1:0");
  write_config(o);
  environment env{{"DVSYNC_CLIENT_SECRET", canary}};
  faults(R"([{"match":{"path":"sample_books"},"status":429,"retry_after":1,"count":1},
             {"match":{"path":"sample_books"},"status":503,"count":1},
             {"match":{"path":"sample_books"},"reset":true,"count":1}])");

  std::vector<std::pair<std::string, std::string>> outputs;  // what -> text
  {
    auto d = start_daemon("daemon.log", env);
    auto port = metrics_port();
    ASSERT_NE(port, 0) << log();
    ASSERT_TRUE(wait_for_log("event=cycle.done", 30s)) << log();
    EXPECT_TRUE(log().find("reason=throttled") != std::string::npos) << log();
    EXPECT_TRUE(log().find("reason=server_busy") != std::string::npos) << log();

    // A revoked token is only used if the daemon does not replace it on schedule first: revoke
    // until a request meets the 401.
    for (int i = 0; i < 20 && log().find("reason=unauthorized") == std::string::npos; ++i) {
      ASSERT_EQ(emulator_->control("revoke-tokens").status, 200);
      wait_for_log("reason=unauthorized", 1500ms);
    }
    ASSERT_NE(log().find("reason=unauthorized"), std::string::npos) << log();
    ASSERT_EQ(emulator_->control("expire-tokens").status, 200);
    ASSERT_TRUE(wait_for_log("event=cycle.token_expired", 20s)) << log();
    ASSERT_EQ(emulator_->control("mutate", R"({"fraction":0.5,"seed":3})").status, 200);
    // Bearer tokens live 2 s: a few more cycles see them refreshed on schedule.
    ASSERT_TRUE(wait_for_log("event=cycle.done", 20s, 6)) << log();

    for (auto const* path : {"/metrics", "/healthz", "/readyz"}) outputs.emplace_back(path, get(port, path).body);
    d.signal(SIGTERM);
    ASSERT_EQ(d.wait(10s), 0);
  }
  outputs.emplace_back("daemon log", log());
  for (auto const& args : std::vector<std::vector<std::string>>{{"once", "--log-level", "debug"},
                                                                 {"status"},
                                                                 {"status", "--json"},
                                                                 {"check-config"}}) {
    auto r = dvsync(args, env);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    outputs.emplace_back(args[0] + " stdout", r.out);
    outputs.emplace_back(args[0] + " stderr", r.err);
  }
  std::string const wrong = canary + "-wrong";
  auto refused = dvsync({"once", "--log-level", "debug"}, {{"DVSYNC_CLIENT_SECRET", wrong}});
  EXPECT_NE(refused.exit_code, 0);
  outputs.emplace_back("refused once", refused.out + refused.err);

  auto issued = boost::json::parse(emulator_->control_get("tokens").body).at("issued").as_array();
  ASSERT_GE(issued.size(), 3u) << "revocation and 2-second lifetimes must have issued several tokens";
  std::vector<std::string> secrets{canary, wrong};
  for (auto const& t : issued) secrets.emplace_back(t.as_string());
  for (auto const& [what, text] : outputs) {
    ASSERT_FALSE(text.empty() && what == "daemon log");
    EXPECT_EQ(text.find("Bearer "), std::string::npos) << what;
    for (auto const& s : secrets) {
      ASSERT_GE(s.size(), 16u);
      EXPECT_EQ(text.find(s), std::string::npos) << what << " holds a secret or token";
    }
  }
}

}  // namespace
}  // namespace dvsync::test
