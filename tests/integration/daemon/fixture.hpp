#pragma once
// A real dataverse-emulator on 127.0.0.1, a temp directory with a config and a mirror, and the
// real dvsync binary run as a child process: what every daemon integration test starts from.
#include "emulator_process.hpp"
#include "oracle.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dvsync::test {

std::string dvsync_binary();

struct config_overrides {
  int page_size = 5000;
  int interval_s = 60;
  int max_attempts = 4;
  int backoff_base_s = 1;
  int backoff_cap_s = 2;
  int retry_after_cap_s = 30;
  int request_timeout_s = 10;
  // dataverse.url and auth.authority; empty: the emulator's origin. A proxy in front of the
  // emulator puts its own here.
  std::string origin;
  std::string extra_top_level;  // e.g. `"metrics": {...},` placed before "tables"
  std::string extra_sync;       // e.g. `, "metadata_refresh_s": 1` at the end of "sync"
  std::string extra_database;   // e.g. `, "synchronous": "normal"` at the end of "database"
  // The "tables" array; the default is the sample's book table, described by hand.
  std::string tables = R"([ { "entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid",
                "key": "sample_bookcode", "columns": ["sample_name", "sample_bookcode", "sample_author"] } ])";
};

class daemon_test : public ::testing::Test {
 protected:
  void SetUp() override;

  // Restarts the emulator with these extra flags (the old one's data is gone).
  void start_emulator(std::vector<std::string> const& flags = {});
  void write_config(config_overrides const& o = {});

  process_result dvsync(std::vector<std::string> args, environment env = {});
  process_result once() { return dvsync({"once"}); }
  child start_daemon(std::string const& log_name = "daemon.log", environment env = {});
  environment secret_env() const;

  // Web API calls as a Dataverse client would make them (with a bearer token).
  http_reply api(std::string const& method, std::string const& path, std::string const& body = {});
  void create_book(int i, std::string const& author_prefix = "Author");
  void create_books(int first, int last);
  std::string id_of(std::string const& code);  // GUID of the book with this code, from the emulator

  // The emulator's fault script and statistics.
  void faults(std::string const& json);
  // Requests the emulator answered for paths ending in `path_suffix` (status 0 = any status).
  std::uint64_t requests(std::string const& path_suffix, int status = 0);
  // Requests for the organization's metadata (EntityDefinitions and below).
  std::uint64_t metadata_requests(int status = 0);

  row_set source() const;
  row_set mirror() const;
  void expect_mirror_equals_source() const;
  std::uint64_t count_requests(std::function<bool(std::string_view)> const& path_matches, int status);
  std::string state(std::string const& column) const;  // a dvsync_table_state column of sample_book
  // Polls state(column) until it equals `value` (the database may not exist yet); false on timeout.
  bool wait_for_state(std::string const& column, std::string const& value, std::chrono::seconds timeout) const;

  temp_dir dir_;
  std::unique_ptr<emulator_process> emulator_;
  std::string config_path_;
  std::string db_path_;
  table_shape shape_;
  std::string token_;
};

}  // namespace dvsync::test
