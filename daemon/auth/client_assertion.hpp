#pragma once
// The signed client assertion of the Microsoft identity platform's certificate credentials
// ("Microsoft identity platform application authentication certificate credentials",
// learn.microsoft.com/entra/identity-platform/certificate-credentials): a JWT whose header is
// {"alg":"PS256","typ":"JWT","x5t#S256":<base64url SHA-256 of the certificate's DER>} and whose
// claims are aud (the token endpoint), iss and sub (the client id), jti (unique), nbf, iat and exp,
// signed with the certificate's key. It is sent as client_assertion, with client_assertion_type
// urn:ietf:params:oauth:client-assertion-type:jwt-bearer, instead of client_secret.
#include "auth/certificate.hpp"
#include "core/error.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace dvsync::auth {

inline constexpr std::string_view jwt_bearer_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct assertion_claims {
  std::string audience;                           // the token endpoint URL
  std::string client_id;                          // iss and sub
  std::string jti;                                // unique per assertion: new_assertion_id()
  std::chrono::system_clock::time_point issued;   // nbf and iat
  // exp - nbf. Microsoft: "a short time - 5-10 minutes after nbf at most".
  std::chrono::seconds lifetime{600};
};

core::result<std::string> make_client_assertion(client_certificate const& certificate, assertion_claims const& claims);

// A random version 4 UUID (RFC 9562), lower case: the jti.
std::string new_assertion_id();

}  // namespace dvsync::auth
