#pragma once
// Self-signed certificates made in memory with OpenSSL, for the certificate-credential tests:
// validity windows in the past or the future, and RSA or EC keys, without the openssl command.
#include <chrono>
#include <string>

namespace dvsync::test {

struct pem_pair {
  std::string certificate;  // -----BEGIN CERTIFICATE-----
  std::string key;          // -----BEGIN PRIVATE KEY----- (PKCS#8, unencrypted)
};

enum class key_type { rsa = 1, ec };

// Valid from now + not_before to now + not_after (negative offsets lie in the past).
pem_pair make_client_certificate(std::string const& common_name, std::chrono::seconds not_before,
                                 std::chrono::seconds not_after, key_type type = key_type::rsa);

}  // namespace dvsync::test
