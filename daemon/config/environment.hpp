#pragma once
// Where the client secret comes from. Shared by check_environment() (which only checks that the
// secret would be found) and the auth module (which reads it), so both agree on the precedence.
#include "config/settings.hpp"
#include "core/error.hpp"

#include <string>

namespace dvsync::config {

enum class secret_origin {
  environment = 1,        // DVSYNC_CLIENT_SECRET
  credentials_directory,  // $CREDENTIALS_DIRECTORY/client_secret (systemd LoadCredential=)
  file,                   // auth.client_secret_file
};

struct secret_source {
  secret_origin origin{};
  std::string path;       // the file to read; empty for the environment
};

// The first usable source in the order above. A file source has been opened successfully, and
// auth.client_secret_file is refused when group or others have any access to it. Fails with
// errc::config_invalid and a message fit for `config: auth.client_secret_file: <message>`.
core::result<secret_source> find_client_secret(auth_settings const& auth);

}  // namespace dvsync::config
