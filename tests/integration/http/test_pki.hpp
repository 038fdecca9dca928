#pragma once
// Certificates for the TLS tests, made with the openssl command into a temporary directory once
// per test process: a test CA, and leaves that each break exactly one check.
#include "test_server.hpp"

#include <string>

namespace dvsync::testing {

struct test_pki {
  std::string dir;
  std::string ca_cert;       // trust anchor for tls.ca_file
  tls_files good;            // signed by the CA, for IP:127.0.0.1 and DNS:localhost
  tls_files expired;         // like good, but valid only in January 2020
  tls_files wrong_host;      // signed by the CA, for DNS:wrong.example.com only
  tls_files self_signed;     // for 127.0.0.1 and localhost, signed by itself

  // Throws std::runtime_error with openssl's output when generation fails.
  static test_pki const& instance();
};

}  // namespace dvsync::testing
