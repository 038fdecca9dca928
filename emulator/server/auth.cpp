#include "server/auth.hpp"

#include "server/base64.hpp"
#include "server/form.hpp"
#include "server/headers.hpp"

#include <boost/json.hpp>

#include <array>
#include <ctime>
#include <random>

namespace emulator {
namespace {

namespace json = boost::json;

std::string random_bytes_hex(std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned>(rd() & 0xff);
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

std::string random_guid() {
  auto h = random_bytes_hex(16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// 256 bits from the OS, base64url without padding: unguessable, and safe in a header as it is.
std::string new_access_token() {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 43; ++i) out += alphabet[rd() % 64];
  return out;
}

std::string utc_timestamp() {
  auto t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf.data();
}

// The Entra ID error envelope: `error` is a string here, unlike the Dataverse one.
http_response entra_error(int status, std::string_view error, int aadsts, std::string_view description) {
  auto trace = random_guid();
  auto correlation = random_guid();
  auto timestamp = utc_timestamp();
  json::object o;
  o["error"] = error;
  o["error_description"] = "AADSTS" + std::to_string(aadsts) + ": " + std::string(description) +
                           "\r\nTrace ID: " + trace + "\r\nCorrelation ID: " + correlation +
                           "\r\nTimestamp: " + timestamp;
  o["error_codes"] = json::array{aadsts};
  o["timestamp"] = timestamp;
  o["trace_id"] = trace;
  o["correlation_id"] = correlation;
  http_response r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"Cache-Control", "no-store, no-cache"},
               {"Pragma", "no-cache"}};
  r.body = json::serialize(o);
  return r;
}

http_response missing_parameter(std::string_view name) {
  return entra_error(400, "invalid_request", 900144,
                     "The request body must contain the following parameter: '" + std::string(name) + "'.");
}

struct client_credentials {
  std::optional<std::string> id;
  std::optional<std::string> secret;
};

// RFC 6749 2.3.1: the form fields, or HTTP Basic with form-encoded id and secret.
client_credentials read_credentials(http_request const& r) {
  client_credentials c{form_field(r.body, "client_id"), form_field(r.body, "client_secret")};
  auto auth = header_value(r.headers, "Authorization");
  if (!auth || auth->size() < 6 || !same_name(auth->substr(0, 6), "Basic ")) return c;
  auto decoded = decode_base64(auth->substr(6));
  if (!decoded) return c;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return c;
  if (!c.id) c.id = form_decode(std::string_view(*decoded).substr(0, colon));
  if (!c.secret) c.secret = form_decode(std::string_view(*decoded).substr(colon + 1));
  return c;
}

}  // namespace

token_issuer::token_issuer(auth_settings s) : settings_(std::move(s)) {}

http_response token_issuer::issue(http_request const& r, std::string_view tenant, clock::time_point now) {
  if (!settings_.tenant.empty() && tenant != settings_.tenant)
    return entra_error(400, "invalid_request", 90002,
                       "Tenant '" + std::string(tenant) +
                           "' not found. Check to make sure you have the correct tenant ID and are signing into the "
                           "correct cloud.");
  if (r.method != "POST") return entra_error(400, "invalid_request", 900561, "The endpoint only accepts POST requests.");

  auto grant = form_field(r.body, "grant_type");
  if (!grant) return missing_parameter("grant_type");
  if (*grant != "client_credentials")
    return entra_error(400, "unsupported_grant_type", 70003,
                       "The app requested an unsupported grant type '" + *grant + "'.");

  auto creds = read_credentials(r);
  if (!creds.id || creds.id->empty()) return missing_parameter("client_id");

  auto scope = form_field(r.body, "scope");
  if (!scope || scope->empty()) return missing_parameter("scope");
  if (*scope != r.origin + "/.default")
    return entra_error(400, "invalid_scope", 70011,
                       "The provided value for the input parameter 'scope' is not valid. The scope " + *scope +
                           " is not valid.");

  auto const* registered_secret = secret_of(*creds.id);
  if (!registered_secret)
    return entra_error(401, "invalid_client", 700016,
                       "Application with identifier '" + *creds.id +
                           "' was not found in the directory. This can happen if the application has not been "
                           "installed by the administrator of the tenant.");
  auto assertion_type = form_field(r.body, "client_assertion_type");
  auto assertion = form_field(r.body, "client_assertion");
  if (assertion_type || assertion) {
    if (!assertion_type) return missing_parameter("client_assertion_type");
    if (*assertion_type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return entra_error(400, "invalid_request", 50027,
                         "JWT token is invalid or malformed. [Reason - client_assertion_type '" + *assertion_type +
                             "' is not urn:ietf:params:oauth:client-assertion-type:jwt-bearer]");
    if (!assertion || assertion->empty()) return missing_parameter("client_assertion");
    if (!settings_.certificates || *creds.id != settings_.client_id)
      return entra_error(401, "invalid_client", 700027,
                         "The certificate with identifier used to sign the client assertion is not registered on "
                         "application. [Reason - The application has no certificate.]");
    std::string const audience = r.origin + "/" + std::string(tenant) + "/oauth2/v2.0/token";
    if (auto refusal = settings_.certificates->verify(*assertion, audience, *creds.id, std::chrono::system_clock::now()))
      return entra_error(refusal->aadsts == 50027 ? 400 : 401, refusal->aadsts == 50027 ? "invalid_request" : "invalid_client",
                         refusal->aadsts, refusal->description);
    return issue_token(*creds.id, now);
  }
  if (!creds.secret || creds.secret->empty())
    return entra_error(401, "invalid_client", 7000216,
                       "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' "
                       "grant type.");
  if (*creds.secret != *registered_secret)
    return entra_error(401, "invalid_client", 7000215,
                       "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                       "secret value, not the client secret ID, for a secret added to app '" +
                           *creds.id + "'.");

  return issue_token(*creds.id, now);
}

std::string const* token_issuer::secret_of(std::string const& client) const {
  if (client == settings_.client_id) return &settings_.client_secret;
  for (auto const& [id, secret] : settings_.other_clients)
    if (id == client) return &secret;
  return nullptr;
}

http_response token_issuer::issue_token(std::string const& client, clock::time_point now) {
  forget_expired(now);
  auto token = new_access_token();
  tokens_.emplace(token, issued_token{now + settings_.token_lifetime, client});
  issued_.push_back(token);

  json::object o;
  o["token_type"] = "Bearer";
  o["expires_in"] = settings_.token_lifetime.count();
  o["ext_expires_in"] = settings_.token_lifetime.count();
  o["access_token"] = token;
  http_response out;
  out.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"Cache-Control", "no-store, no-cache"},
                 {"Pragma", "no-cache"}};
  out.body = json::serialize(o);
  return out;
}

bearer_status token_issuer::check(http_request const& r, clock::time_point now) {
  auto auth = header_value(r.headers, "Authorization");
  if (!auth || auth->size() <= 7 || !same_name(auth->substr(0, 7), "Bearer ")) return bearer_status::missing;
  auto it = tokens_.find(std::string(auth->substr(7)));
  if (it == tokens_.end()) return bearer_status::unknown;
  if (it->second.expiry <= now) return bearer_status::expired;
  return bearer_status::valid;
}

std::string token_issuer::holder(http_request const& r) const {
  auto auth = header_value(r.headers, "Authorization");
  if (!auth || auth->size() <= 7 || !same_name(auth->substr(0, 7), "Bearer ")) return {};
  auto it = tokens_.find(std::string(auth->substr(7)));
  return it == tokens_.end() ? std::string() : it->second.client;
}

http_response token_issuer::unauthorized(bearer_status why, std::string_view origin) {
  std::string challenge = "Bearer ";
  if (why == bearer_status::expired) challenge += "error=\"invalid_token\", error_description=\"The token is expired\", ";
  if (why == bearer_status::unknown) challenge += "error=\"invalid_token\", error_description=\"The token is not valid\", ";
  challenge += "authorization_uri=" + std::string(origin) + "/common/oauth2/authorize, resource_id=" +
               std::string(origin) + "/";
  http_response r;
  r.status = 401;
  r.headers = {{"WWW-Authenticate", std::move(challenge)}};
  return r;
}

void token_issuer::revoke_all() { tokens_.clear(); }

// Expired tokens are kept for one more lifetime so that a late request still gets "expired" rather
// than "unknown"; after that they only cost memory.
void token_issuer::forget_expired(clock::time_point now) {
  std::erase_if(tokens_, [&](auto const& t) { return t.second.expiry + settings_.token_lifetime < now; });
}

}  // namespace emulator
