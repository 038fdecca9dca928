#include "auth/credential.hpp"

#include "auth/client_assertion.hpp"
#include "auth/token_provider.hpp"

namespace dvsync::auth {

using core::errc;

client_credential client_credential::from_secret(std::string secret) {
  client_credential c;
  c.secret_ = std::move(secret);
  return c;
}

client_credential client_credential::from_certificate(client_certificate certificate) {
  client_credential c;
  c.certificate_ = std::make_shared<client_certificate const>(std::move(certificate));
  return c;
}

core::result<std::vector<std::pair<std::string, std::string>>> client_credential::form_fields(
    token_endpoint const& endpoint, std::chrono::system_clock::time_point now) const {
  using fields = std::vector<std::pair<std::string, std::string>>;
  if (!certificate_) return fields{{"client_secret", secret_}};
  // A certificate that expired while the daemon ran: Entra ID would refuse the assertion anyway.
  if (auto problem = validity_problem(*certificate_, now)) return core::make_error(errc::auth_failed, *problem);
  auto assertion = make_client_assertion(*certificate_, {endpoint.url, endpoint.client_id, new_assertion_id(), now});
  if (!assertion) return assertion.error();
  return fields{{"client_assertion_type", std::string(jwt_bearer_assertion_type)}, {"client_assertion", *assertion}};
}

core::result<client_credential> load_client_credential(config::auth_settings const& auth, secret_environment const& env,
                                                       std::chrono::system_clock::time_point now) {
  if (auth.client_certificate_file.empty()) {
    auto secret = load_client_secret(auth, env);
    if (!secret) return secret.error();
    return client_credential::from_secret(std::move(*secret));
  }
  std::optional<std::string> pem;
  std::string origin;
  if (env.credentials_directory && !env.credentials_directory->empty()) {
    origin = *env.credentials_directory + "/client_certificate";
    // systemd makes credentials readable by the service alone; their mode is not ours to judge.
    auto read = read_credential_file(origin, "credential client_certificate", false);
    if (!read) return read.error();
    pem = std::move(*read);
    origin = "credential client_certificate (" + origin + ")";
  }
  if (!pem) {
    auto read = read_credential_file(auth.client_certificate_file, "auth.client_certificate_file", true);
    if (!read) return read.error();
    if (!*read)
      return core::make_error(errc::config_invalid,
                              "auth.client_certificate_file: " + auth.client_certificate_file + " does not exist");
    pem = std::move(*read);
    origin = "auth.client_certificate_file: " + auth.client_certificate_file;
  }
  auto certificate = client_certificate::from_pem(*pem, origin);
  if (!certificate) return certificate.error();
  if (auto problem = validity_problem(*certificate, now))
    return core::make_error(errc::config_invalid, origin + ": " + *problem);
  return client_credential::from_certificate(std::move(*certificate));
}

core::result<client_credential> load_client_credential(config::auth_settings const& auth) {
  return load_client_credential(auth, secret_environment::from_process(), std::chrono::system_clock::now());
}

}  // namespace dvsync::auth
