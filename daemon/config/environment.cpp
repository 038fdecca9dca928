#include "config/environment.hpp"

#include "config/config.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace dvsync::config {
namespace {

// Opens a file for reading (as the process will later) and reports its status.
struct opened_file {
  int error = 0;  // errno of open/fstat, 0 on success
  struct stat status {};
};

opened_file open_for_reading(std::string const& path) {
  opened_file out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    out.error = errno;
    return out;
  }
  if (::fstat(fd, &out.status) != 0) out.error = errno;
  ::close(fd);
  return out;
}

std::string non_empty_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

core::error secret_error(std::string message) { return core::make_error(core::errc::config_invalid, std::move(message)); }

void check_ca_file(settings const& s, std::vector<problem>& out) {
  if (s.tls.ca_file.empty()) return;
  opened_file f = open_for_reading(s.tls.ca_file);
  if (f.error != 0)
    out.push_back({"tls.ca_file", fmt::format("cannot read {}: {}", s.tls.ca_file, std::strerror(f.error))});
  else if (!S_ISREG(f.status.st_mode))
    out.push_back({"tls.ca_file", fmt::format("{} is not a regular file", s.tls.ca_file)});
}

// The database file itself may be missing (first run) or not yet writable (the store refuses to
// start on it with its own message, and a running daemon backs off until a write fault clears);
// only a directory that can never hold it is a config error.
void check_database_path(settings const& s, std::vector<problem>& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path db(s.database.path);
  if (fs::is_directory(db, ec)) {
    out.push_back({"database.path", fmt::format("{} is a directory; name the database file", s.database.path)});
    return;
  }
  fs::path parent = db.parent_path();
  if (parent.empty()) parent = ".";
  auto st = fs::status(parent, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st))
      out.push_back({"database.path", fmt::format("{} is not a directory", parent.string())});
    return;
  }
  // The daemon's service manager (StateDirectory=) or the daemon itself creates missing
  // directories; they can be created only below an existing, writable directory.
  fs::path ancestor = parent;
  while (ancestor.has_parent_path() && ancestor != ancestor.parent_path()) {
    ancestor = ancestor.parent_path();
    auto ast = fs::status(ancestor, ec);
    if (!fs::exists(ast)) continue;
    if (!fs::is_directory(ast))
      out.push_back({"database.path", fmt::format("{} is not a directory, so {} cannot be created",
                                                  ancestor.string(), parent.string())});
    else if (::access(ancestor.c_str(), W_OK | X_OK) != 0)
      out.push_back({"database.path", fmt::format("{} does not exist and cannot be created in {}: {}",
                                                  parent.string(), ancestor.string(), std::strerror(errno))});
    return;
  }
  out.push_back({"database.path", fmt::format("{} does not exist", parent.string())});
}

}  // namespace

core::result<secret_source> find_client_secret(auth_settings const& auth) {
  if (!non_empty_env("DVSYNC_CLIENT_SECRET").empty()) return secret_source{secret_origin::environment, {}};

  if (std::string dir = non_empty_env("CREDENTIALS_DIRECTORY"); !dir.empty()) {
    std::string path = dir + "/client_secret";
    opened_file f = open_for_reading(path);
    // systemd sets the credential's permissions itself, so only its presence matters.
    if (f.error == 0) return secret_source{secret_origin::credentials_directory, path};
    if (f.error != ENOENT)
      return secret_error(fmt::format("cannot read {}: {}", path, std::strerror(f.error)));
  }

  if (auth.client_secret_file.empty())
    return secret_error(
        "no client secret: set DVSYNC_CLIENT_SECRET, provide $CREDENTIALS_DIRECTORY/client_secret "
        "(systemd LoadCredential=), or set auth.client_secret_file");

  std::string const& path = auth.client_secret_file;
  opened_file f = open_for_reading(path);
  if (f.error != 0) return secret_error(fmt::format("cannot read {}: {}", path, std::strerror(f.error)));
  if (!S_ISREG(f.status.st_mode)) return secret_error(fmt::format("{} is not a regular file", path));
  // Like OpenSSH with private keys: a secret that others can read is already leaked.
  if ((f.status.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    return secret_error(fmt::format("{} is accessible to group or others (mode {:04o}); run chmod 600 {}", path,
                                    f.status.st_mode & 07777, path));
  return secret_source{secret_origin::file, path};
}

std::vector<problem> check_environment(settings const& s, purpose p) {
  std::vector<problem> out;
  if (p == purpose::sync) {
    // A certificate is checked where it is parsed (auth::load_client_credential, by the CLI).
    if (s.auth.client_certificate_file.empty())
      if (auto source = find_client_secret(s.auth); !source) out.push_back({"auth.client_secret_file", source.error().message});
    check_ca_file(s, out);
  }
  check_database_path(s, out);
  return out;
}

}  // namespace dvsync::config
