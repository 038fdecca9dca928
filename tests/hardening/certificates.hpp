#pragma once
// Certificates for the TLS tests, made by the openssl command in a directory of the test: a test
// CA (the one dvsync trusts through tls.ca_file), a second CA it does not know, and leaves that
// each break exactly one check.
#include <string>

namespace dvsync::test {

struct key_pair {
  std::string cert;  // PEM certificate file
  std::string key;   // PEM private key file
};

struct test_certificates {
  std::string ca;        // the trusted test CA's certificate
  key_pair good;         // from the CA, for IP:127.0.0.1 and DNS:localhost, valid 2020-2099
  key_pair expired;      // like good, but valid only in January 2020
  key_pair wrong_host;   // from the CA, for DNS:wrong.example.com only
  key_pair self_signed;  // for 127.0.0.1 and localhost, signed by its own key
  key_pair unknown_ca;   // for 127.0.0.1 and localhost, from a CA that is not trusted
};

// The openssl command, found on PATH; throws std::runtime_error when it is missing.
std::string openssl_binary();

// Writes everything into `dir`; throws std::runtime_error with openssl's output when a step fails.
test_certificates make_test_certificates(std::string const& dir);

}  // namespace dvsync::test
