#pragma once
// Real child processes for tests: run a command to completion, or start one and kill it.
#include <chrono>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dvsync::test {

struct process_result {
  int exit_code = -1;      // -1 when killed by a signal
  int signal = 0;          // the signal that ended it, if any
  std::string out;
  std::string err;
};

// Extra environment variables on top of this process's environment ("" value removes one).
using environment = std::map<std::string, std::string>;

process_result run_process(std::vector<std::string> const& argv, environment const& env = {},
                           std::chrono::seconds timeout = std::chrono::seconds(120));

// A started child whose stdout and stderr go to files; killed (SIGKILL) on destruction if alive.
class child {
 public:
  child(std::vector<std::string> const& argv, environment const& env, std::string const& log_path);
  child(child&&) noexcept;
  child& operator=(child&&) = delete;
  ~child();

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for the exit; returns the exit code, or -signal when killed by a signal; -1000 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

std::string read_file(std::string const& path);
void write_file(std::string const& path, std::string const& text, unsigned mode = 0644);

}  // namespace dvsync::test
