#include "auth/secret.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <sys/stat.h>

namespace dvsync::auth {
namespace {

namespace fs = std::filesystem;
using core::errc;

class SecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "dvsync-secret-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(std::string const& name, std::string const& content, mode_t mode) {
    auto const path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod failed");
    return path;
  }

  fs::path dir_;
};

config::auth_settings with_file(std::string path) {
  config::auth_settings a;
  a.client_secret_file = std::move(path);
  return a;
}

TEST_F(SecretTest, PrivateFileIsReadAndItsTrailingNewlineStripped) {
  auto const s = load_client_secret(with_file(write("secret", "s3cr3t~value\n", 0600)), {});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "s3cr3t~value");
  auto const crlf = load_client_secret(with_file(write("crlf", "abc\r\n", 0400)), {});
  ASSERT_TRUE(crlf) << crlf.error().message;
  EXPECT_EQ(*crlf, "abc");
}

TEST_F(SecretTest, GroupOrWorldReadableFileIsRefusedNamingTheKey) {
  for (mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}}) {
    auto const s = load_client_secret(with_file(write("secret", "value\n", mode)), {});
    ASSERT_FALSE(s) << std::oct << mode;
    EXPECT_EQ(s.error().code, errc::config_invalid);
    EXPECT_NE(s.error().message.find("auth.client_secret_file"), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.find("value"), std::string::npos) << "the secret leaked: " << s.error().message;
  }
}

TEST_F(SecretTest, MissingOrEmptyFileIsAConfigError) {
  auto const missing = load_client_secret(with_file((dir_ / "absent").string()), {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::config_invalid);
  EXPECT_NE(missing.error().message.find("auth.client_secret_file"), std::string::npos);

  auto const empty = load_client_secret(with_file(write("empty", "\n", 0600)), {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, errc::config_invalid);
}

TEST_F(SecretTest, NoSourceAtAllIsAConfigError) {
  auto const s = load_client_secret(config::auth_settings{}, {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::config_invalid);
  EXPECT_NE(s.error().message.find("DVSYNC_CLIENT_SECRET"), std::string::npos);
}

TEST_F(SecretTest, EnvironmentWinsOverCredentialAndFile) {
  fs::create_directory(dir_ / "creds");
  write("creds/client_secret", "from-credential\n", 0400);
  auto const file = write("secret", "from-file\n", 0600);
  secret_environment const env{"from-env", (dir_ / "creds").string()};
  auto const s = load_client_secret(with_file(file), env);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "from-env");
}

TEST_F(SecretTest, CredentialWinsOverFile) {
  fs::create_directory(dir_ / "creds");
  write("creds/client_secret", "from-credential\n", 0400);
  auto const file = write("secret", "from-file\n", 0600);
  auto const s = load_client_secret(with_file(file), secret_environment{std::nullopt, (dir_ / "creds").string()});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "from-credential");
}

TEST_F(SecretTest, CredentialsDirectoryWithoutTheCredentialFallsBackToTheFile) {
  fs::create_directory(dir_ / "creds");
  auto const file = write("secret", "from-file\n", 0600);
  auto const s = load_client_secret(with_file(file), secret_environment{std::string(), (dir_ / "creds").string()});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "from-file");
}

TEST_F(SecretTest, ProcessEnvironmentIsRead) {
  ::setenv("DVSYNC_CLIENT_SECRET", "process-secret", 1);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  auto const s = load_client_secret(with_file(write("secret", "from-file\n", 0600)));
  ::unsetenv("DVSYNC_CLIENT_SECRET");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "process-secret");
  EXPECT_FALSE(secret_environment::from_process().client_secret.has_value());
}

}  // namespace
}  // namespace dvsync::auth
