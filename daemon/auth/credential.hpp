#pragma once
// What proves the application's identity to the token endpoint: a client secret, or a certificate
// whose key signs a fresh client assertion for each token request (auth/client_assertion.hpp).
#include "auth/certificate.hpp"
#include "auth/secret.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace dvsync::auth {

struct token_endpoint;

class client_credential {
 public:
  static client_credential from_secret(std::string secret);
  static client_credential from_certificate(client_certificate certificate);

  // The form fields of one token request that carry the credential: client_secret, or
  // client_assertion_type and a client_assertion signed now for `endpoint`.
  core::result<std::vector<std::pair<std::string, std::string>>> form_fields(
      token_endpoint const& endpoint, std::chrono::system_clock::time_point now) const;

  // The secret, or empty: what must never appear in a message.
  std::string const& secret() const { return secret_; }
  client_certificate const* certificate() const { return certificate_.get(); }

 private:
  std::string secret_;
  std::shared_ptr<client_certificate const> certificate_;
};

// With auth.client_certificate_file set: the certificate, read from
// $CREDENTIALS_DIRECTORY/client_certificate (systemd LoadCredential=) when that exists, else from
// the file, which is refused when group or others may read it (it holds the private key); it must
// be valid at `now`. Otherwise the client secret (load_client_secret). errc::config_invalid
// naming the source.
core::result<client_credential> load_client_credential(config::auth_settings const& auth, secret_environment const& env,
                                                       std::chrono::system_clock::time_point now);
core::result<client_credential> load_client_credential(config::auth_settings const& auth);

}  // namespace dvsync::auth
