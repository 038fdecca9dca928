#pragma once
// Bearer tokens for Dataverse, fetched with OAuth 2.0 client credentials and cached until
// refresh_due() says otherwise. Concurrent callers share one token request.
#include "auth/credential.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"
#include "http/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dvsync::auth {

struct token_endpoint {
  std::string url;         // {authority}/{tenant_id}/oauth2/v2.0/token
  std::string client_id;
  std::string scope;       // {dataverse url}/.default
};

token_endpoint make_token_endpoint(config::auth_settings const& auth, config::dataverse_settings const& dataverse);

// The form body of a client-credentials token request; every value URL-encoded. The credential's
// fields are client_secret, or client_assertion_type and client_assertion (client_credential).
std::string token_request_body(token_endpoint const& endpoint,
                               std::vector<std::pair<std::string, std::string>> const& credential_fields);
std::string token_request_body(token_endpoint const& endpoint, std::string const& client_secret);

class token_provider {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  token_provider(http::client& http, token_endpoint endpoint, client_credential credential,
                 clock_fn clock = [] { return std::chrono::steady_clock::now(); });
  token_provider(http::client& http, token_endpoint endpoint, std::string client_secret,
                 clock_fn clock = [] { return std::chrono::steady_clock::now(); });
  ~token_provider();
  token_provider(token_provider const&) = delete;
  token_provider& operator=(token_provider const&) = delete;

  // A valid access token; `force_refresh` after a 401 replaces the cached one (unless another
  // caller replaced it meanwhile). Errors: auth_failed, protocol, and the transient ones of
  // http::client::send and token_endpoint_error.
  boost::asio::awaitable<core::result<std::string>> bearer(bool force_refresh = false);

  std::uint64_t tokens_fetched() const { return fetched_; }

 private:
  struct cached_token {
    std::string access_token;
    std::chrono::steady_clock::time_point issued_at;
    std::chrono::seconds expires_in;
    std::uint64_t generation;
  };
  struct refresh_signal;

  boost::asio::awaitable<core::result<std::string>> fetch();

  http::client& http_;
  token_endpoint endpoint_;
  client_credential credential_;
  clock_fn clock_;
  std::optional<cached_token> cached_;
  std::unique_ptr<refresh_signal> signal_;
  bool refreshing_ = false;
  std::uint64_t fetched_ = 0;
};

}  // namespace dvsync::auth
