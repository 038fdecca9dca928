#pragma once
// A client certificate and its private key, read from one PEM file: the application's credential
// when an organization forbids client secrets (docs/OPERATIONS.md). OpenSSL stays in the .cpp.
#include "core/error.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dvsync::auth {

class client_certificate {
 public:
  // The first certificate and the private key of `pem`, in either order. errc::config_invalid,
  // prefixed with `origin` (the file's name), when either is missing or unreadable, when the key
  // does not belong to the certificate, or when it is not an RSA key (PS256 signs with RSA).
  static core::result<client_certificate> from_pem(std::string_view pem, std::string const& origin);

  client_certificate(client_certificate&&) noexcept;
  client_certificate& operator=(client_certificate&&) noexcept;
  ~client_certificate();

  // SHA-256 of the certificate's DER encoding, 32 raw bytes: the x5t#S256 of the assertion header
  // and the thumbprint Entra ID shows for an uploaded certificate (there in hexadecimal).
  std::string const& sha256_thumbprint() const;
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;
  std::string subject() const;  // one line, e.g. "CN=dvsync"

  // RSASSA-PSS with SHA-256 and MGF1-SHA-256, salt as long as the hash: JWS "PS256"
  // (RFC 7518 section 3.5). errc::io if OpenSSL fails.
  core::result<std::string> sign_ps256(std::string_view data) const;

 private:
  struct impl;
  explicit client_certificate(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

// Why the certificate cannot be used at `now`, e.g. "the certificate (CN=dvsync) expired on
// 2026-01-31T12:00:00Z"; nothing when it can. Entra ID refuses assertions signed with an expired
// key, so dvsync says so before it asks.
std::optional<std::string> validity_problem(client_certificate const& c, std::chrono::system_clock::time_point now);

}  // namespace dvsync::auth
