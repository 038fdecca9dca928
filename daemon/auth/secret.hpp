#pragma once
// Where the client secret comes from. Never from the config file, never into logs.
#include "config/settings.hpp"
#include "core/error.hpp"

#include <optional>
#include <string>

namespace dvsync::auth {

// The two environment variables that can supply the secret, read once.
struct secret_environment {
  std::optional<std::string> client_secret;           // DVSYNC_CLIENT_SECRET
  std::optional<std::string> credentials_directory;   // CREDENTIALS_DIRECTORY (systemd LoadCredential)

  static secret_environment from_process();
};

// In order: DVSYNC_CLIENT_SECRET; $CREDENTIALS_DIRECTORY/client_secret; auth.client_secret_file,
// refused when group- or world-readable. One trailing newline (LF or CRLF) is stripped.
// errc::config_invalid naming the source when none yields a non-empty secret.
core::result<std::string> load_client_secret(config::auth_settings const& auth, secret_environment const& env);

// A file holding a credential (a secret, or a certificate with its key), read whole through one
// descriptor: nothing when it does not exist; errc::config_invalid naming `what` (its config key
// or credential name) when it cannot be read, is not a regular file, is empty, is over 64 KiB, or,
// with `check_mode`, is readable by group or others. One trailing newline is stripped.
core::result<std::optional<std::string>> read_credential_file(std::string const& path, std::string const& what,
                                                              bool check_mode);
core::result<std::string> load_client_secret(config::auth_settings const& auth);

}  // namespace dvsync::auth
