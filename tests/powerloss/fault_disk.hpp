#pragma once
// A disk that loses power, for tests: faultfs (faultfs.cpp) mounted over a backing directory.
// Files under path() behave as on a disk with a volatile write cache: what was not fsynced, and
// names whose directory was not fsynced, are gone after cut(). power_on() mounts it again.
//
// Needs /dev/fuse and the right to mount (root, or fusermount3). Mounts are made in a private
// mount namespace of this process (tests/hardening/mounts.hpp), so a crashed test leaves none
// behind on the host.
#include "process.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::test {

// What one cut took away, from faultfs's report.
struct power_cut_report {
  std::size_t pages = 0;  // unsynced pages dropped, of every file
  std::size_t db_pages = 0, wal_pages = 0, shm_pages = 0;
  std::size_t names = 0;  // names removed because their directory was not synced
  std::vector<std::string> removed;  // those names, as paths under the mount point
  std::string line;       // the report as faultfs wrote it
};

class fault_disk {
 public:
  // Mounts faultfs over `backing` at `mount_point` (both created when missing). Returns why it
  // could not (no FUSE, no right to mount, faultfs not built), or nothing.
  static std::optional<std::string> mount(std::string const& backing, std::string const& mount_point,
                                          std::optional<fault_disk>& out);

  fault_disk(fault_disk&& other) noexcept;
  fault_disk& operator=(fault_disk&&) = delete;
  // Unmounts: a cut.
  ~fault_disk();

  // The mount point: where the files are.
  std::string const& path() const { return mount_point_; }
  // The backing directory: the disk as it would be found after a cut right now. Read it only
  // between cut() and power_on().
  std::string const& backing() const { return backing_; }

  // The power goes: unmounts, and faultfs drops what was not synced. Nothing may hold a file
  // under path() open (kill the processes that use it first). Throws when it cannot unmount.
  power_cut_report cut();
  // The power comes back: mounts again; why not, or nothing.
  std::optional<std::string> power_on();

  // fsync of a directory under path() (or of path() itself): makes the names in it durable.
  static void sync_directory(std::string const& dir);

 private:
  fault_disk(std::string backing, std::string mount_point) : backing_(std::move(backing)), mount_point_(std::move(mount_point)) {}

  std::string backing_;
  std::string mount_point_;
  std::string log_path_;
  std::optional<child> server_;  // faultfs, while mounted
};

}  // namespace dvsync::test
