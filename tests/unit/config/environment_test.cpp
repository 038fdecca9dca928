#include "config/config.hpp"
#include "config/environment.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dvsync::config {
namespace {

namespace fs = std::filesystem;

// Sets (or unsets) an environment variable for the lifetime of the object.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~scoped_env() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  scoped_env(scoped_env const&) = delete;
  scoped_env& operator=(scoped_env const&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class ConfigEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "dvsync-config-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(std::string const& name, std::string const& content, mode_t mode) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    EXPECT_EQ(::chmod(p.c_str(), mode), 0);
    return p;
  }

  // Valid settings whose files live in the test's directory; no secret source configured.
  settings base() const {
    settings s;
    s.dataverse.url = "http://127.0.0.1:8080";
    s.auth.tenant_id = "t";
    s.auth.client_id = "c";
    s.database.path = (dir_ / "mirror.db").string();
    config::table_config t;
    t.logical_name = t.table = "sample_book";
    s.tables.push_back(t);
    return s;
  }

  static std::vector<std::string> paths(std::vector<problem> const& problems) {
    std::vector<std::string> out;
    for (auto const& p : problems) out.push_back(p.path);
    return out;
  }

  fs::path dir_;
  scoped_env no_secret_{"DVSYNC_CLIENT_SECRET", nullptr};
  scoped_env no_credentials_{"CREDENTIALS_DIRECTORY", nullptr};
};

using paths_t = std::vector<std::string>;

TEST_F(ConfigEnvironment, SecretFileWithOwnerOnlyModeIsAccepted) {
  settings s = base();
  for (mode_t mode : {0600, 0400}) {
    s.auth.client_secret_file = write("secret", "s3cret", mode).string();
    EXPECT_EQ(paths(check_environment(s)), paths_t{}) << std::oct << mode;
    auto source = find_client_secret(s.auth);
    ASSERT_TRUE(source);
    EXPECT_EQ(source->origin, secret_origin::file);
    EXPECT_EQ(source->path, s.auth.client_secret_file);
  }
}

TEST_F(ConfigEnvironment, SecretFileReadableByOthersIsRefused) {
  settings s = base();
  for (mode_t mode : {0640, 0604, 0660, 0644, 0610}) {
    s.auth.client_secret_file = write("secret", "s3cret", mode).string();
    auto problems = check_environment(s);
    EXPECT_EQ(paths(problems), paths_t{"auth.client_secret_file"}) << std::oct << mode;
    if (!problems.empty()) {
      EXPECT_NE(problems[0].message.find("chmod 600"), std::string::npos);
    }
  }
}

TEST_F(ConfigEnvironment, MissingOrUnusableSecretFileIsRefused) {
  settings s = base();
  s.auth.client_secret_file = (dir_ / "absent").string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"auth.client_secret_file"});
  s.auth.client_secret_file = dir_.string();  // a directory
  EXPECT_EQ(paths(check_environment(s)), paths_t{"auth.client_secret_file"});
}

TEST_F(ConfigEnvironment, UnreadableSecretFileIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  settings s = base();
  s.auth.client_secret_file = write("secret", "s3cret", 0200).string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"auth.client_secret_file"});
}

TEST_F(ConfigEnvironment, NoSecretAnywhereIsRefused) {
  auto problems = check_environment(base());
  ASSERT_EQ(paths(problems), paths_t{"auth.client_secret_file"});
  EXPECT_NE(problems[0].message.find("DVSYNC_CLIENT_SECRET"), std::string::npos);
}

TEST_F(ConfigEnvironment, EnvironmentVariableTakesPrecedence) {
  settings s = base();
  s.auth.client_secret_file = write("secret", "s3cret", 0644).string();  // would be refused
  {
    scoped_env secret("DVSYNC_CLIENT_SECRET", "from-env");
    EXPECT_EQ(paths(check_environment(s)), paths_t{});
    auto source = find_client_secret(s.auth);
    ASSERT_TRUE(source);
    EXPECT_EQ(source->origin, secret_origin::environment);
    EXPECT_EQ(source->path, "");
  }
  {
    scoped_env empty("DVSYNC_CLIENT_SECRET", "");  // empty counts as unset
    EXPECT_EQ(paths(check_environment(s)), paths_t{"auth.client_secret_file"});
  }
}

TEST_F(ConfigEnvironment, CredentialsDirectoryComesBeforeTheFile) {
  settings s = base();
  s.auth.client_secret_file = (dir_ / "absent").string();
  fs::path credential = write("credentials/client_secret", "s3cret", 0400);
  scoped_env credentials("CREDENTIALS_DIRECTORY", credential.parent_path().c_str());
  EXPECT_EQ(paths(check_environment(s)), paths_t{});
  auto source = find_client_secret(s.auth);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->origin, secret_origin::credentials_directory);
  EXPECT_EQ(source->path, credential.string());

  // Without the credential, the file is next in line.
  fs::remove(credential);
  EXPECT_EQ(paths(check_environment(s)), paths_t{"auth.client_secret_file"});
  s.auth.client_secret_file = write("secret", "s3cret", 0600).string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{});
  EXPECT_EQ(find_client_secret(s.auth)->origin, secret_origin::file);
}

TEST_F(ConfigEnvironment, CaFileMustBeReadable) {
  scoped_env secret("DVSYNC_CLIENT_SECRET", "x");
  settings s = base();
  s.tls.ca_file = (dir_ / "absent.pem").string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"tls.ca_file"});
  s.tls.ca_file = dir_.string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"tls.ca_file"});
  s.tls.ca_file = write("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644).string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{});
}

TEST_F(ConfigEnvironment, DatabaseDirectory) {
  scoped_env secret("DVSYNC_CLIENT_SECRET", "x");
  settings s = base();
  EXPECT_EQ(paths(check_environment(s)), paths_t{});
  // Missing directories below an existing one can be created later; nothing is created now.
  s.database.path = (dir_ / "state" / "sub" / "mirror.db").string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{});
  EXPECT_FALSE(fs::exists(dir_ / "state"));
  // A regular file where a directory should be.
  write("file", "", 0644);
  s.database.path = (dir_ / "file" / "mirror.db").string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"database.path"});
  s.database.path = (dir_ / "file" / "more" / "mirror.db").string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"database.path"});
  // The database path itself is a directory.
  s.database.path = dir_.string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"database.path"});
  // A relative path lives in the working directory.
  s.database.path = "mirror.db";
  EXPECT_EQ(paths(check_environment(s)), paths_t{});
}

TEST_F(ConfigEnvironment, DatabaseDirectoryThatCannotBeCreated) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes any directory";
  scoped_env secret("DVSYNC_CLIENT_SECRET", "x");
  fs::create_directory(dir_ / "locked");
  fs::permissions(dir_ / "locked", fs::perms::owner_read | fs::perms::owner_exec);
  settings s = base();
  s.database.path = (dir_ / "locked" / "state" / "mirror.db").string();
  EXPECT_EQ(paths(check_environment(s)), paths_t{"database.path"});
  fs::permissions(dir_ / "locked", fs::perms::owner_all);
}

TEST_F(ConfigEnvironment, EveryEnvironmentProblemIsReported) {
  settings s = base();
  s.tls.ca_file = (dir_ / "absent.pem").string();
  write("file", "", 0644);
  s.database.path = (dir_ / "file" / "mirror.db").string();
  EXPECT_EQ(paths(check_environment(s)), (paths_t{"auth.client_secret_file", "tls.ca_file", "database.path"}));
}

TEST_F(ConfigEnvironment, LoadReadsParsesAndChecks) {
  auto missing = load((dir_ / "absent.json").string());
  EXPECT_FALSE(missing.value);
  ASSERT_EQ(paths(missing.problems), paths_t{""});
  EXPECT_NE(missing.problems[0].message.find("absent.json"), std::string::npos);

  fs::path secret = write("secret", "s3cret", 0640);
  std::string text = R"({
    "dataverse": { "url": "http://127.0.0.1:8080" },
    "auth": { "tenant_id": "t", "client_id": "c", "client_secret_file": ")" + secret.string() + R"(" },
    "database": { "path": ")" + (dir_ / "mirror.db").string() + R"(" },
    "tables": [ { "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid",
                  "key": "sample_bookcode", "columns": ["sample_bookcode"] } ]
  })";
  fs::path config = write("dvsync.json", text, 0644);
  auto refused = load(config.string());
  EXPECT_FALSE(refused.value);
  EXPECT_EQ(paths(refused.problems), paths_t{"auth.client_secret_file"});

  ::chmod(secret.c_str(), 0600);
  auto loaded = load(config.string());
  ASSERT_TRUE(loaded.value) << describe(loaded.problems);
  EXPECT_EQ(loaded.value->auth.client_secret_file, secret.string());

  // Parse problems and environment problems are not mixed: the environment is only checked
  // for a configuration that parsed.
  fs::path broken = write("broken.json", "{", 0644);
  auto bad = load(broken.string());
  EXPECT_FALSE(bad.value);
  EXPECT_EQ(paths(bad.problems), paths_t{""});
}

}  // namespace
}  // namespace dvsync::config
