#pragma once
// OAuth 2.0 client credentials as Microsoft Entra ID answers them, and the bearer check the Web API
// does. Time is passed in, so expiry is tested without waiting.
#include "api/web_api.hpp"
#include "server/assertion.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace emulator {

struct auth_settings {
  std::string client_id;
  std::string client_secret;
  std::string tenant;  // empty: any tenant
  std::chrono::seconds token_lifetime{3600};
  // Certificates registered for the client (--client-certificate): client assertions signed with
  // one of them are accepted as well as the secret.
  std::shared_ptr<registered_certificates const> certificates{};
  // Other applications registered in the tenant (id, secret): each one is a user of its own for the
  // service protection limits.
  std::vector<std::pair<std::string, std::string>> other_clients{};
};

enum class bearer_status { valid = 1, missing, unknown, expired };

class token_issuer {
 public:
  using clock = std::chrono::steady_clock;

  explicit token_issuer(auth_settings s);

  // POST /{tenant}/oauth2/v2.0/token. `tenant` is the path segment; the scope must be `<origin>/.default`.
  http_response issue(http_request const& r, std::string_view tenant, clock::time_point now);

  bearer_status check(http_request const& r, clock::time_point now);
  // The client id a known bearer token of the request was issued to; empty without one.
  std::string holder(http_request const& r) const;

  // The Web API's answer to a request whose bearer check failed.
  static http_response unauthorized(bearer_status why, std::string_view origin);

  void revoke_all();
  std::size_t live_tokens() const { return tokens_.size(); }
  // Every token issued since start, revoked and expired ones included, oldest first: lets tests
  // check that a client never leaks one.
  std::vector<std::string> const& issued() const { return issued_; }

 private:
  void forget_expired(clock::time_point now);
  http_response issue_token(std::string const& client, clock::time_point now);
  // The secret registered for `client`; nullptr when no such client is registered.
  std::string const* secret_of(std::string const& client) const;

  struct issued_token {
    clock::time_point expiry;
    std::string client;
  };

  auth_settings settings_;
  std::unordered_map<std::string, issued_token> tokens_;
  std::vector<std::string> issued_;
};

}  // namespace emulator
