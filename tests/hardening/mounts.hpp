#pragma once
// File system tricks for disk fault tests, each undone on destruction. They need root with
// CAP_SYS_ADMIN (mounts) or CAP_LINUX_IMMUTABLE (chattr +i) and a file system that supports them;
// every function returns why it could not do its job instead of failing, so tests can skip.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dvsync::test {

// Moves this process into a mount namespace of its own, with private propagation: mounts made
// afterwards are seen by this process and its children only, and vanish when they all exit, even
// after a crash. Idempotent.
std::optional<std::string> enter_private_mount_namespace();

class mount_point {
 public:
  // A tmpfs of `bytes` at `dir` (created if missing).
  static std::optional<std::string> tmpfs(std::string const& dir, std::uint64_t bytes, std::optional<mount_point>& out);
  // `source` seen read-only at `dir` (created if missing): the read-only file system an operator
  // would get from a remount after I/O errors, which root cannot write through either.
  static std::optional<std::string> read_only_view(std::string const& source, std::string const& dir,
                                                   std::optional<mount_point>& out);

  explicit mount_point(std::string dir) : dir_(std::move(dir)) {}
  mount_point(mount_point&& other) noexcept : dir_(std::move(other.dir_)) { other.dir_.clear(); }
  mount_point& operator=(mount_point&&) = delete;
  ~mount_point();

 private:
  std::string dir_;
};

// Writes zeros to `path` until the file system holding it is full (ENOSPC).
// Returns why it could not, or nothing.
std::optional<std::string> fill_file_system(std::string const& path);

// chattr +i on files: even root's writes through descriptors opened earlier fail (EPERM).
class immutable_files {
 public:
  immutable_files() = default;
  immutable_files(immutable_files const&) = delete;
  immutable_files& operator=(immutable_files const&) = delete;
  ~immutable_files() { release(); }

  // Makes `path` immutable; why not, when it cannot.
  std::optional<std::string> add(std::string const& path);
  // Makes every file mutable again.
  void release();

 private:
  std::vector<std::string> paths_;
};

}  // namespace dvsync::test
