#include "fault_disk.hpp"

#include "mounts.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

bool is_fuse_mount(std::string const& dir) {
  struct statfs st {};
  return ::statfs(dir.c_str(), &st) == 0 && st.f_type == FUSE_SUPER_MAGIC;
}

std::string last_lines(std::string const& text, std::size_t max_chars = 2000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

}  // namespace

std::optional<std::string> fault_disk::mount(std::string const& backing, std::string const& mount_point,
                                             std::optional<fault_disk>& out) {
  if (std::string(FAULTFS_BINARY).empty()) return "faultfs was not built: libfuse3 (libfuse3-dev) was not found at configure time";
  if (::access("/dev/fuse", R_OK | W_OK) != 0) return fmt::format("/dev/fuse: {}", std::strerror(errno));
  if (auto why = enter_private_mount_namespace()) return *why;
  std::error_code ec;
  std::filesystem::create_directories(backing, ec);
  std::filesystem::create_directories(mount_point, ec);
  fault_disk disk(backing, mount_point);
  if (auto why = disk.power_on()) return why;
  out.emplace(std::move(disk));
  return std::nullopt;
}

fault_disk::fault_disk(fault_disk&& other) noexcept
    : backing_(std::move(other.backing_)), mount_point_(std::move(other.mount_point_)),
      log_path_(std::move(other.log_path_)), server_(std::move(other.server_)) {
  other.server_.reset();
}

fault_disk::~fault_disk() {
  if (!server_) return;
  try {
    cut();
  } catch (std::exception const&) {
    ::umount2(mount_point_.c_str(), MNT_DETACH);
  }
}

std::optional<std::string> fault_disk::power_on() {
  if (server_) return "already mounted";
  log_path_ = (std::filesystem::path(backing_).parent_path() / "faultfs.log").string();
  std::filesystem::remove(log_path_);
  server_.emplace(std::vector<std::string>{FAULTFS_BINARY, backing_, mount_point_}, environment{}, log_path_);
  auto const deadline = std::chrono::steady_clock::now() + 10s;
  while (!is_fuse_mount(mount_point_)) {
    if (!server_->running() || std::chrono::steady_clock::now() > deadline) {
      server_.reset();
      return fmt::format("faultfs could not mount {}: {}", mount_point_, last_lines(read_file(log_path_)));
    }
    std::this_thread::sleep_for(5ms);
  }
  return std::nullopt;
}

power_cut_report fault_disk::cut() {
  if (!server_) throw std::logic_error("fault_disk::cut: not mounted");
  // A process that just died may still be closing its files: unmounting is then briefly busy.
  auto const deadline = std::chrono::steady_clock::now() + 10s;
  while (::umount2(mount_point_.c_str(), 0) != 0) {
    if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
      auto why = fmt::format("umount {}: {}", mount_point_, std::strerror(errno));
      ::umount2(mount_point_.c_str(), MNT_DETACH);
      server_.reset();
      throw std::runtime_error(why);
    }
    std::this_thread::sleep_for(10ms);
  }
  int status = server_->wait(10s);
  server_.reset();
  auto const log = read_file(log_path_);
  if (status != 0) throw std::runtime_error(fmt::format("faultfs exited with {}: {}", status, last_lines(log)));
  static std::regex const line(
      R"(faultfs: power cut: dropped (\d+) unsynced pages of \d+ files \(db (\d+), wal (\d+), shm (\d+), other \d+\), )"
      R"(removed (\d+) unsynced names)");
  std::smatch m;
  if (!std::regex_search(log, m, line)) throw std::runtime_error("faultfs did not report its power cut: " + last_lines(log));
  power_cut_report r;
  r.pages = std::stoull(m[1].str());
  r.db_pages = std::stoull(m[2].str());
  r.wal_pages = std::stoull(m[3].str());
  r.shm_pages = std::stoull(m[4].str());
  r.names = std::stoull(m[5].str());
  r.line = m[0].str();
  static std::regex const removed(R"(faultfs: removed unsynced name (\S+))");
  for (std::sregex_iterator it(log.begin(), log.end(), removed), end; it != end; ++it) r.removed.push_back((*it)[1].str());
  return r;
}

void fault_disk::sync_directory(std::string const& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("open {}: {}", dir, std::strerror(errno)));
  int r = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (r != 0) throw std::runtime_error(fmt::format("fsync {}: {}", dir, std::strerror(e)));
}

}  // namespace dvsync::test
