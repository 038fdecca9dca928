#pragma once
// Certificate credentials as Microsoft Entra ID checks them: the client assertion (a JWT signed by
// the application's certificate, "Microsoft identity platform application authentication
// certificate credentials", learn.microsoft.com/entra/identity-platform/certificate-credentials)
// verified against the certificates registered for the application. Independent of the daemon's
// code that makes assertions, so that each can catch the other's misreading of the format.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace emulator {

// Why an assertion is refused: the AADSTS code and its description.
struct assertion_refusal {
  int aadsts = 0;
  std::string description;
};

class registered_certificates {
 public:
  // Every certificate of a PEM text (a private key beside them is ignored). Throws
  // std::runtime_error naming `origin` when there is none.
  static registered_certificates from_pem(std::string_view pem, std::string const& origin);

  registered_certificates(registered_certificates&&) noexcept;
  registered_certificates& operator=(registered_certificates&&) noexcept;
  ~registered_certificates();

  // Accepts an assertion whose header names a registered certificate (x5t#S256, or the older
  // x5t SHA-1 thumbprint), whose signature that certificate's key verifies (PS256, or RS256), whose
  // aud is `token_endpoint`, whose iss and sub are `client_id`, with a jti, and whose nbf..exp
  // window holds `now` (5 minutes of clock skew allowed). The certificate must be valid at `now`.
  std::optional<assertion_refusal> verify(std::string_view assertion, std::string_view token_endpoint,
                                          std::string_view client_id, std::chrono::system_clock::time_point now) const;

 private:
  struct impl;
  explicit registered_certificates(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace emulator
