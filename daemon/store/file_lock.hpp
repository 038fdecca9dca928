#pragma once
// One writer per database: an exclusive, non-blocking flock on `<database>-lock`. Never on the
// database file itself: closing any other descriptor of that file would drop SQLite's POSIX locks.
#include "core/error.hpp"

#include <string>

namespace dvsync::store {

class file_lock {
 public:
  // Creates the lock file (0640) if needed, locks it and records our PID in it. When another
  // process holds it: errc::locked, naming that process's PID as it recorded it.
  static core::result<file_lock> acquire(std::string const& path);

  file_lock(file_lock&& other) noexcept;
  file_lock& operator=(file_lock&& other) noexcept;
  file_lock(file_lock const&) = delete;
  file_lock& operator=(file_lock const&) = delete;
  ~file_lock();  // closing the descriptor releases the lock

 private:
  explicit file_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace dvsync::store
