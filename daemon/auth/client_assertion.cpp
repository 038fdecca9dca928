#include "auth/client_assertion.hpp"

#include "core/base64.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace dvsync::auth {

namespace json = boost::json;

std::string new_assertion_id() {
  std::array<unsigned char, 16> b{};
  // The CSPRNG of the TLS stack; a failure here means OpenSSL cannot seed itself: cannot go on.
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10
  std::string hex;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", b[i]);
  }
  return hex;
}

core::result<std::string> make_client_assertion(client_certificate const& certificate, assertion_claims const& claims) {
  json::object header;
  header["alg"] = "PS256";
  header["typ"] = "JWT";
  header["x5t#S256"] = core::base64url(certificate.sha256_thumbprint());

  auto const seconds = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  json::object payload;
  payload["aud"] = claims.audience;
  payload["iss"] = claims.client_id;
  payload["sub"] = claims.client_id;
  payload["jti"] = claims.jti;
  payload["nbf"] = seconds(claims.issued);
  payload["iat"] = seconds(claims.issued);
  payload["exp"] = seconds(claims.issued + claims.lifetime);

  std::string signing_input = core::base64url(json::serialize(header)) + "." + core::base64url(json::serialize(payload));
  auto signature = certificate.sign_ps256(signing_input);
  if (!signature) return signature.error();
  return signing_input + "." + core::base64url(*signature);
}

}  // namespace dvsync::auth
