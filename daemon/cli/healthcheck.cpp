#include "cli/commands.hpp"
#include "http/client.hpp"
#include "ops/http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <string>

namespace dvsync::cli {
namespace {

// A container's HEALTHCHECK runs every 30 s by default and gives up after its own timeout; answer
// well before either.
constexpr std::chrono::seconds probe_deadline{5};

boost::asio::awaitable<core::result<http::response>> get(http::client& c, std::string url) {
  http::request req;
  req.method = http::verb::get;
  req.url = std::move(url);
  co_return co_await c.send(std::move(req));
}

// The one line a probe answers, without its trailing newline.
std::string first_line(std::string const& body) {
  auto line = body.substr(0, body.find('\n'));
  return line.empty() ? std::string("(empty answer)") : line;
}

}  // namespace

// Asks the running daemon's /healthz: exit 0 when it answers 200, 1 otherwise, and prints why.
int healthcheck(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  if (!s->metrics_listen) {
    std::fprintf(stderr, "dvsync: healthcheck needs metrics.listen in %s\n", a.config_path.c_str());
    return exit_failure;
  }
  auto url = ops::local_url(*s->metrics_listen, "/healthz");
  if (!url) {
    std::fprintf(stderr, "dvsync: %s\n", url.error().message.c_str());
    return exit_failure;
  }

  boost::asio::io_context io;
  http::client client(io.get_executor(), http::tls_options{}, http::timeouts{probe_deadline, probe_deadline});
  std::optional<core::result<http::response>> answer;
  boost::asio::co_spawn(io, get(client, *url), [&](std::exception_ptr e, core::result<http::response> r) {
    if (e)
      answer = core::make_error(core::errc::io, "the probe failed unexpectedly");
    else
      answer = std::move(r);
  });
  io.run();

  if (!answer || !*answer) {
    std::fprintf(stderr, "dvsync: unhealthy: %s: %s\n", url->c_str(),
                 answer ? (*answer).error().message.c_str() : "no answer");
    return exit_failure;
  }
  auto const& res = **answer;
  if (res.status != 200) {
    std::fprintf(stderr, "dvsync: unhealthy: HTTP %d: %s\n", res.status, first_line(res.body).c_str());
    return exit_failure;
  }
  std::printf("%s\n", first_line(res.body).c_str());
  return 0;
}

}  // namespace dvsync::cli
