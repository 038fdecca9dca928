#include "emulator_process.hpp"

#include <boost/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

#ifndef DVSYNC_EMULATOR_PATH
#error "DVSYNC_EMULATOR_PATH must name the dataverse-emulator binary"
#endif

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

std::string slurp(std::filesystem::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts the emulator with stdout and stderr appended to the given files.
pid_t spawn(std::vector<std::string> const& args, std::filesystem::path const& out, std::filesystem::path const& err) {
  std::vector<std::string> argv{emulator_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// waitpid with a deadline: the exit code, -signal, or nullopt while still running at the deadline.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::string form_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string emulator_binary() { return DVSYNC_EMULATOR_PATH; }

cli_run run_emulator_cli(std::vector<std::string> const& args, std::chrono::milliseconds timeout) {
  temp_dir dir;
  auto pid = spawn(args, dir / "out", dir / "err");
  cli_run r;
  auto code = wait_for(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  r.exit_code = code.value_or(-1);
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  return r;
}

emulator_process::emulator_process(std::vector<std::string> const& extra_args) {
  auto port_file = dir_ / "port";
  // Without the service protection limits the emulator keeps by default: a test that writes to the
  // source every few milliseconds beside a syncing daemon and a verify reached 6,000 requests in
  // 300 s on a slow machine and was throttled for minutes. Tests of the limits pass their own
  // flags, which come after this one and win (the emulator applies its flags in order).
  std::vector<std::string> args{"--listen", "127.0.0.1:0", "--port-file", port_file.string(), "--service-limits", "off"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  for (auto const& a : extra_args) tls_ = tls_ || a == "--tls-cert" || a.starts_with("--tls-cert=");
  pid_ = spawn(args, dir_ / "output.log", dir_ / "output.log");

  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (std::filesystem::exists(port_file, ec)) {
      port_ = static_cast<std::uint16_t>(std::stoi(slurp(port_file)));
      return;
    }
    if (auto code = wait_for(pid_, 0ms)) {
      reaped_ = true;
      throw std::runtime_error("dataverse-emulator exited with " + std::to_string(*code) + " before listening:\n" +
                               output());
    }
    std::this_thread::sleep_for(5ms);
  }
  stop(0ms);
  throw std::runtime_error("dataverse-emulator did not write its port file within 10 s:\n" + output());
}

emulator_process::~emulator_process() { stop(); }

int emulator_process::stop(std::chrono::milliseconds timeout) {
  if (reaped_) return -1000;
  ::kill(pid_, SIGTERM);
  auto code = wait_for(pid_, timeout);
  if (!code) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  reaped_ = true;
  return code.value_or(-1000);
}

std::string emulator_process::origin() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string emulator_process::api_url(std::string_view path) const {
  return origin() + "/api/data/v9.2/" + std::string(path);
}

http_reply emulator_process::control(std::string_view path, std::string const& json) const {
  return http_call("POST", origin() + "/_emulator/" + std::string(path), json,
                   {{"Content-Type", "application/json"}});
}

http_reply emulator_process::control_get(std::string_view path) const {
  return http_call("GET", origin() + "/_emulator/" + std::string(path));
}

std::string emulator_process::token(std::string_view client_id, std::string_view client_secret) const {
  return access_token_of(request_token(origin(), client_id, client_secret));
}

std::string emulator_process::output() const { return slurp(dir_ / "output.log"); }

http_reply request_token(std::string const& origin, std::string_view client_id, std::string_view client_secret,
                         std::string_view tenant, call_options const& options) {
  auto body = "grant_type=client_credentials&client_id=" + form_encode(client_id) +
              "&client_secret=" + form_encode(client_secret) + "&scope=" + form_encode(origin + "/.default");
  return http_call("POST", origin + "/" + std::string(tenant) + "/oauth2/v2.0/token", body,
                   {{"Content-Type", "application/x-www-form-urlencoded"}}, options);
}

std::string access_token_of(http_reply const& r) {
  boost::json::error_code ec;
  auto doc = boost::json::parse(r.body, ec);
  if (r.status != 200 || ec || !doc.is_object() || !doc.as_object().contains("access_token") ||
      !doc.as_object().at("access_token").is_string())
    throw std::runtime_error("no token: status " + std::to_string(r.status) + " " + r.error + " " + r.body);
  return std::string(doc.as_object().at("access_token").as_string());
}

header_list web_api_headers(std::string const& token) {
  header_list h{{"Accept", "application/json"}, {"OData-MaxVersion", "4.0"}, {"OData-Version", "4.0"},
                {"Content-Type", "application/json"}};
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  return h;
}

}  // namespace dvsync::test
