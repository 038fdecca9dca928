#include "mounts.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace dvsync::test {
namespace {

std::string failed(std::string const& what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

// Reads and changes the inode flags of `path` (FS_IOC_GETFLAGS / FS_IOC_SETFLAGS, as chattr does).
std::optional<std::string> set_immutable(std::string const& path, bool on) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return failed("open " + path);
  int flags = 0;
  std::optional<std::string> why;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
    why = failed("FS_IOC_GETFLAGS " + path);
  } else {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    if (::ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) why = failed("FS_IOC_SETFLAGS " + path);
  }
  ::close(fd);
  return why;
}

}  // namespace

std::optional<std::string> enter_private_mount_namespace() {
  static std::optional<std::string> const outcome = []() -> std::optional<std::string> {
    if (::unshare(CLONE_NEWNS) != 0) return failed("unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return failed("mount --make-rprivate /");
    return std::nullopt;
  }();
  return outcome;
}

std::optional<std::string> mount_point::tmpfs(std::string const& dir, std::uint64_t bytes, std::optional<mount_point>& out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto options = fmt::format("size={},mode=0755", bytes);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
    return failed("mount -t tmpfs -o " + options + " " + dir);
  out.emplace(dir);
  return std::nullopt;
}

std::optional<std::string> mount_point::read_only_view(std::string const& source, std::string const& dir,
                                                       std::optional<mount_point>& out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (::mount(source.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) return failed("mount --bind " + source + " " + dir);
  out.emplace(dir);
  // A bind mount takes MS_RDONLY only in a remount.
  if (::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    auto why = failed("mount -o remount,bind,ro " + dir);
    out.reset();
    return why;
  }
  return std::nullopt;
}

mount_point::~mount_point() {
  if (!dir_.empty()) ::umount2(dir_.c_str(), MNT_DETACH);
}

std::optional<std::string> fill_file_system(std::string const& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return failed("open " + path);
  std::vector<char> zeros(64 * 1024);
  std::optional<std::string> why;
  // Big writes first, then page-sized ones for the last partial chunk.
  for (std::size_t chunk : {zeros.size(), std::size_t{4096}, std::size_t{512}}) {
    while (true) {
      auto n = ::write(fd, zeros.data(), chunk);
      if (n > 0) continue;
      if (n < 0 && errno == ENOSPC) break;
      why = failed("write " + path);
      break;
    }
    if (why) break;
  }
  ::close(fd);
  return why;
}

std::optional<std::string> immutable_files::add(std::string const& path) {
  if (auto why = set_immutable(path, true)) return why;
  paths_.push_back(path);
  return std::nullopt;
}

void immutable_files::release() {
  for (auto const& p : paths_) (void)set_immutable(p, false);
  paths_.clear();
}

}  // namespace dvsync::test
