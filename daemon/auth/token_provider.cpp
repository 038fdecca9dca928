#include "auth/token_provider.hpp"

#include "auth/token.hpp"
#include "core/log.hpp"
#include "http/retry_after.hpp"
#include "http/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dvsync::auth {

namespace asio = boost::asio;

namespace {

std::string without_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The token endpoint's messages never echo the secret, but a message that did must not reach a log.
void redact(std::string& message, std::string const& secret) {
  if (secret.empty()) return;
  for (auto pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos)) {
    message.replace(pos, secret.size(), "[redacted]");
  }
}

}  // namespace

// Wakes callers waiting for a token request that another caller started.
struct token_provider::refresh_signal {
  std::optional<asio::steady_timer> timer;
};

token_endpoint make_token_endpoint(config::auth_settings const& auth, config::dataverse_settings const& dataverse) {
  return token_endpoint{without_trailing_slash(auth.authority) + "/" + auth.tenant_id + "/oauth2/v2.0/token", auth.client_id,
                        without_trailing_slash(dataverse.url) + "/.default"};
}

std::string token_request_body(token_endpoint const& endpoint,
                               std::vector<std::pair<std::string, std::string>> const& credential_fields) {
  std::vector<std::pair<std::string_view, std::string_view>> fields{{"grant_type", "client_credentials"},
                                                                    {"client_id", endpoint.client_id}};
  for (auto const& [name, value] : credential_fields) fields.emplace_back(name, value);
  fields.emplace_back("scope", endpoint.scope);
  return http::form_encode(fields);
}

std::string token_request_body(token_endpoint const& endpoint, std::string const& client_secret) {
  return token_request_body(endpoint, {{"client_secret", client_secret}});
}

token_provider::token_provider(http::client& http, token_endpoint endpoint, client_credential credential, clock_fn clock)
    : http_(http),
      endpoint_(std::move(endpoint)),
      credential_(std::move(credential)),
      clock_(std::move(clock)),
      signal_(std::make_unique<refresh_signal>()) {}

token_provider::token_provider(http::client& http, token_endpoint endpoint, std::string client_secret, clock_fn clock)
    : token_provider(http, std::move(endpoint), client_credential::from_secret(std::move(client_secret)), std::move(clock)) {}

token_provider::~token_provider() = default;

asio::awaitable<core::result<std::string>> token_provider::bearer(bool force_refresh) {
  // After a 401 the token the caller used is the stale one; a newer one fetched meanwhile is fine.
  std::optional<std::uint64_t> const stale_generation =
      force_refresh && cached_ ? std::optional<std::uint64_t>(cached_->generation) : std::nullopt;
  for (;;) {
    bool const usable = cached_ && cached_->generation != stale_generation &&
                        !refresh_due(cached_->issued_at, cached_->expires_in, clock_());
    if (usable) co_return cached_->access_token;
    if (!refreshing_) break;
    if (!signal_->timer) {
      signal_->timer.emplace(co_await asio::this_coro::executor, std::chrono::steady_clock::time_point::max());
    }
    co_await signal_->timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }

  // Cleared on every exit, including the destruction of a cancelled coroutine, so waiters never hang.
  struct refreshing_guard {
    token_provider* self;
    ~refreshing_guard() {
      self->refreshing_ = false;
      if (self->signal_->timer) self->signal_->timer->cancel();
    }
  };
  refreshing_ = true;
  refreshing_guard guard{this};
  co_return co_await fetch();
}

asio::awaitable<core::result<std::string>> token_provider::fetch() {
  auto const issued_at = clock_();
  http::request req;
  req.method = http::verb::post;
  req.url = endpoint_.url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  // A certificate signs a new assertion for every request: each has its own jti and a short life.
  auto credential_fields = credential_.form_fields(endpoint_, std::chrono::system_clock::now());
  if (!credential_fields) co_return credential_fields.error();
  req.body = token_request_body(endpoint_, *credential_fields);

  auto res = co_await http_.send(std::move(req));
  if (!res) co_return res.error();

  if (res->status < 200 || res->status > 299) {
    std::optional<std::chrono::seconds> retry_after;
    if (auto value = res->header("Retry-After")) retry_after = http::parse_retry_after(*value, std::chrono::system_clock::now());
    core::error e = token_endpoint_error(res->status, res->body, retry_after);
    redact(e.message, credential_.secret());
    co_return e;
  }
  auto parsed = parse_token_response(res->body);
  if (!parsed) co_return parsed.error();

  std::uint64_t const generation = cached_ ? cached_->generation + 1 : 1;
  cached_ = cached_token{std::move(parsed->access_token), issued_at, parsed->expires_in, generation};
  ++fetched_;
  core::log::info("auth.token_acquired", {{"expires_in_s", static_cast<std::int64_t>(parsed->expires_in.count())}});
  co_return cached_->access_token;
}

}  // namespace dvsync::auth
