#include "auth/secret.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dvsync::auth {

using core::errc;

namespace {

std::optional<std::string> env_value(char const* name) {
  char const* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

void strip_newline(std::string& s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
}

// Closes the descriptor on every path.
class file_descriptor {
 public:
  explicit file_descriptor(int fd) : fd_(fd) {}
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_descriptor(file_descriptor const&) = delete;
  file_descriptor& operator=(file_descriptor const&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

core::result<std::optional<std::string>> read_credential_file(std::string const& path, std::string const& what,
                                                              bool check_mode) {
  file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    int const err = errno;
    if (err == ENOENT) return std::optional<std::string>();
    return core::make_error(errc::config_invalid, what + ": cannot open " + path + ": " + std::strerror(err));
  }
  // fstat on the open descriptor: the mode checked is the mode of the file read.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return core::make_error(errc::config_invalid, what + ": cannot stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return core::make_error(errc::config_invalid, what + ": " + path + " is not a regular file");
  if (check_mode && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return core::make_error(errc::config_invalid, what + ": " + path + " is readable by group or others (mode " + mode +
                                                      "); run chmod 600 on it");
  }
  std::string content;
  char buf[4096];
  for (;;) {
    ssize_t const n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::make_error(errc::config_invalid, what + ": cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > 64 * 1024) return core::make_error(errc::config_invalid, what + ": " + path + " is too large for a secret");
  }
  strip_newline(content);
  if (content.empty()) return core::make_error(errc::config_invalid, what + ": " + path + " is empty");
  return std::optional<std::string>(std::move(content));
}

secret_environment secret_environment::from_process() {
  return secret_environment{env_value("DVSYNC_CLIENT_SECRET"), env_value("CREDENTIALS_DIRECTORY")};
}

core::result<std::string> load_client_secret(config::auth_settings const& auth, secret_environment const& env) {
  if (env.client_secret && !env.client_secret->empty()) {
    std::string secret = *env.client_secret;
    strip_newline(secret);
    if (!secret.empty()) return secret;
  }
  if (env.credentials_directory && !env.credentials_directory->empty()) {
    std::string const path = *env.credentials_directory + "/client_secret";
    // systemd creates credentials readable by the service alone; their mode is not ours to judge.
    auto read = read_credential_file(path, "credential client_secret", false);
    if (!read) return read.error();
    if (*read) return std::move(**read);
  }
  if (!auth.client_secret_file.empty()) {
    auto read = read_credential_file(auth.client_secret_file, "auth.client_secret_file", true);
    if (!read) return read.error();
    if (*read) return std::move(**read);
    return core::make_error(errc::config_invalid, "auth.client_secret_file: " + auth.client_secret_file + " does not exist");
  }
  return core::make_error(errc::config_invalid,
                          "no client secret: set DVSYNC_CLIENT_SECRET, provide the systemd credential client_secret, "
                          "or set auth.client_secret_file");
}

core::result<std::string> load_client_secret(config::auth_settings const& auth) {
  return load_client_secret(auth, secret_environment::from_process());
}

}  // namespace dvsync::auth
