#include "auth/client_assertion.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace dvsync::auth {

namespace json = boost::json;

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned const v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
  }
  if (std::size_t const rest = bytes.size() - i; rest > 0) {
    unsigned const v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0u);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
  }
  return out;
}

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
  header["x5t#S256"] = base64url(certificate.sha256_thumbprint());

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

  std::string signing_input = base64url(json::serialize(header)) + "." + base64url(json::serialize(payload));
  auto signature = certificate.sign_ps256(signing_input);
  if (!signature) return signature.error();
  return signing_input + "." + base64url(*signature);
}

}  // namespace dvsync::auth
