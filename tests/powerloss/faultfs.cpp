// faultfs: a FUSE file system over a backing directory that loses what was not synced when the
// power goes, for power-loss tests (LazyFS is not packaged in Debian; this is the same idea).
//
//   faultfs BACKING MOUNTPOINT
//
// The backing directory is the disk. Writes and truncations stay in memory (volatile_file) until
// the file is fsynced or fdatasynced, or written through a descriptor opened O_SYNC or O_DSYNC;
// names made in a directory stay unsynced (unsynced_names) until that directory is fsynced. When
// the file system stops (umount, or SIGTERM, SIGINT, SIGHUP), the power is cut: unsynced pages
// are dropped, unsynced names are removed from the disk, and one line says what was lost. Mount
// it again to power the disk back on. What is not modelled: see README.md.
#define FUSE_USE_VERSION 31

#include "unsynced_names.hpp"
#include "volatile_file.hpp"

#include <fuse.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace dvsync::powerloss {
namespace {

struct open_file {
  ino_t ino = 0;
  bool synchronous = false;  // opened O_SYNC or O_DSYNC: every write is synced
  std::string path;          // as opened, for the report
};

// With nullpath_ok, operations on an open directory get its handle and no path.
struct open_directory {
  std::string path;
};

struct disk {
  std::string backing;
  std::map<ino_t, std::unique_ptr<volatile_file>> cache;  // files with unsynced changes
  std::map<ino_t, std::string> names;                     // the last path of each cached file, for the report
  std::map<ino_t, int> open_count;
  std::map<std::uint64_t, open_file> handles;  // by backing descriptor (fuse_file_info::fh)
  unsynced_names unsynced;
};

disk& the_disk() { return *static_cast<disk*>(fuse_get_context()->private_data); }

std::string on_disk(char const* path) { return the_disk().backing + path; }

int fail() { return -errno; }

void show_cached_size(struct stat* st) {
  auto& d = the_disk();
  if (auto it = d.cache.find(st->st_ino); it != d.cache.end()) {
    st->st_size = static_cast<off_t>(it->second->size());
    st->st_blocks = (st->st_size + 511) / 512;
  }
}

// The cache of a file, made on its first unsynced change from a descriptor of its backing file.
volatile_file* cached(ino_t ino, int backing_fd, int& error) {
  auto& d = the_disk();
  if (auto it = d.cache.find(ino); it != d.cache.end()) return it->second.get();
  int fd = ::dup(backing_fd);
  if (fd < 0) {
    error = -errno;
    return nullptr;
  }
  return (d.cache[ino] = std::make_unique<volatile_file>(fd)).get();
}

// A file that no name and no descriptor reaches any more takes its unsynced pages with it.
void forget_if_unreachable(ino_t ino, nlink_t links) {
  auto& d = the_disk();
  if (links == 0 && !d.open_count.contains(ino)) {
    d.cache.erase(ino);
    d.names.erase(ino);
  }
}

int op_getattr(char const* path, struct stat* st, fuse_file_info* fi) {
  if ((fi ? ::fstat(static_cast<int>(fi->fh), st) : ::lstat(on_disk(path).c_str(), st)) != 0) return fail();
  show_cached_size(st);
  return 0;
}

open_directory& directory_of(fuse_file_info* fi) { return *reinterpret_cast<open_directory*>(fi->fh); }

int op_opendir(char const* path, fuse_file_info* fi) {
  struct stat st {};
  if (::stat(on_disk(path).c_str(), &st) != 0) return fail();
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  fi->fh = reinterpret_cast<std::uint64_t>(new open_directory{path});
  return 0;
}

int op_releasedir(char const*, fuse_file_info* fi) {
  delete &directory_of(fi);
  return 0;
}

int op_readdir(char const*, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info* fi, fuse_readdir_flags) {
  DIR* dir = ::opendir(on_disk(directory_of(fi).path.c_str()).c_str());
  if (dir == nullptr) return fail();
  while (dirent* e = ::readdir(dir)) {
    struct stat st {};
    st.st_ino = e->d_ino;
    st.st_mode = static_cast<mode_t>(DTTOIF(e->d_type));
    if (fill(buf, e->d_name, &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) break;
  }
  ::closedir(dir);
  return 0;
}

int op_mkdir(char const* path, mode_t mode) {
  if (::mkdir(on_disk(path).c_str(), mode) != 0) return fail();
  the_disk().unsynced.created(path);
  return 0;
}

int op_unlink(char const* path) {
  struct stat st {};
  if (::lstat(on_disk(path).c_str(), &st) != 0) return fail();
  if (::unlink(on_disk(path).c_str()) != 0) return fail();
  the_disk().unsynced.removed(path);
  forget_if_unreachable(st.st_ino, st.st_nlink - 1);
  return 0;
}

int op_rmdir(char const* path) {
  if (::rmdir(on_disk(path).c_str()) != 0) return fail();
  the_disk().unsynced.removed(path);
  return 0;
}

int op_rename(char const* from, char const* to, unsigned int flags) {
  struct stat replaced {};
  bool const replaces = ::lstat(on_disk(to).c_str(), &replaced) == 0;
  if (::renameat2(AT_FDCWD, on_disk(from).c_str(), AT_FDCWD, on_disk(to).c_str(), flags) != 0) return fail();
  the_disk().unsynced.renamed(from, to);
  if (replaces && !(flags & RENAME_EXCHANGE)) forget_if_unreachable(replaced.st_ino, replaced.st_nlink - 1);
  return 0;
}

int op_chmod(char const* path, mode_t mode, fuse_file_info* fi) {
  return (fi ? ::fchmod(static_cast<int>(fi->fh), mode) : ::chmod(on_disk(path).c_str(), mode)) == 0 ? 0 : fail();
}

int op_chown(char const* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  return (fi ? ::fchown(static_cast<int>(fi->fh), uid, gid) : ::lchown(on_disk(path).c_str(), uid, gid)) == 0 ? 0 : fail();
}

int op_utimens(char const* path, timespec const tv[2], fuse_file_info* fi) {
  return (fi ? ::futimens(static_cast<int>(fi->fh), tv) : ::utimensat(AT_FDCWD, on_disk(path).c_str(), tv, AT_SYMLINK_NOFOLLOW)) == 0
             ? 0
             : fail();
}

int op_truncate(char const* path, off_t size, fuse_file_info* fi) {
  int fd = fi ? static_cast<int>(fi->fh) : ::open(on_disk(path).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail();
  struct stat st {};
  int error = 0;
  if (::fstat(fd, &st) != 0) {
    error = -errno;
  } else if (auto* f = cached(st.st_ino, fd, error)) {
    if (path) the_disk().names[st.st_ino] = path;
    error = f->truncate(static_cast<std::uint64_t>(size));
  }
  if (!fi) ::close(fd);
  return error;
}

// Every backing descriptor is opened read-write whatever the caller asked (the kernel enforces the
// caller's mode on its own descriptor), so that any of them can sync the file.
int keep_open(char const* path, int fd, int flags, fuse_file_info* fi) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = -errno;
    ::close(fd);
    return e;
  }
  auto& d = the_disk();
  d.handles[static_cast<std::uint64_t>(fd)] = {st.st_ino, (flags & O_DSYNC) != 0, path};
  ++d.open_count[st.st_ino];
  fi->fh = static_cast<std::uint64_t>(fd);
  // The kernel's page cache must not outlive a cut: it is dropped at every open, and reads and
  // sizes always come from here.
  fi->keep_cache = 0;
  fi->direct_io = 0;
  if (flags & O_TRUNC) {
    int error = 0;
    if (auto* f = cached(st.st_ino, fd, error)) {
      d.names[st.st_ino] = path;
      return f->truncate(0);
    }
    return error;
  }
  return 0;
}

constexpr int not_for_backing = O_ACCMODE | O_TRUNC | O_APPEND | O_CREAT | O_EXCL | O_DIRECT | O_SYNC | O_DSYNC;

int op_create(char const* path, mode_t mode, fuse_file_info* fi) {
  struct stat st {};
  bool const existed = ::lstat(on_disk(path).c_str(), &st) == 0;
  int fd = ::open(on_disk(path).c_str(), (fi->flags & ~not_for_backing) | O_RDWR | O_CREAT | O_CLOEXEC | (fi->flags & O_EXCL), mode);
  if (fd < 0) return fail();
  if (!existed) the_disk().unsynced.created(path);
  return keep_open(path, fd, fi->flags, fi);
}

int op_open(char const* path, fuse_file_info* fi) {
  int fd = ::open(on_disk(path).c_str(), (fi->flags & ~not_for_backing) | O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail();
  return keep_open(path, fd, fi->flags, fi);
}

int op_read(char const*, char* buf, std::size_t size, off_t offset, fuse_file_info* fi) {
  auto& d = the_disk();
  auto const& h = d.handles.at(fi->fh);
  if (auto it = d.cache.find(h.ino); it != d.cache.end())
    return static_cast<int>(it->second->read(buf, size, static_cast<std::uint64_t>(offset)));
  ssize_t got = ::pread(static_cast<int>(fi->fh), buf, size, offset);
  return got < 0 ? fail() : static_cast<int>(got);
}

int op_write(char const*, char const* buf, std::size_t size, off_t offset, fuse_file_info* fi) {
  auto& d = the_disk();
  auto const& h = d.handles.at(fi->fh);
  int error = 0;
  auto* f = cached(h.ino, static_cast<int>(fi->fh), error);
  if (f == nullptr) return error;
  d.names[h.ino] = h.path;
  ssize_t n = f->write(buf, size, static_cast<std::uint64_t>(offset));
  if (n >= 0 && h.synchronous)
    if (int e = f->sync(); e != 0) return e;
  return static_cast<int>(n);
}

int op_fsync(char const*, int, fuse_file_info* fi) {
  auto& d = the_disk();
  auto const ino = d.handles.at(fi->fh).ino;
  auto it = d.cache.find(ino);
  if (it == d.cache.end()) return 0;
  if (int e = it->second->sync(); e != 0) return e;
  d.cache.erase(it);
  d.names.erase(ino);
  return 0;
}

int op_fsyncdir(char const*, int, fuse_file_info* fi) {
  the_disk().unsynced.directory_synced(directory_of(fi).path);
  return 0;
}

int op_fallocate(char const*, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  if (mode != 0) return -EOPNOTSUPP;
  auto& d = the_disk();
  int error = 0;
  auto* f = cached(d.handles.at(fi->fh).ino, static_cast<int>(fi->fh), error);
  if (f == nullptr) return error;
  auto const end = static_cast<std::uint64_t>(offset + length);
  return end > f->size() ? f->truncate(end) : 0;
}

int op_release(char const*, fuse_file_info* fi) {
  auto& d = the_disk();
  auto const ino = d.handles.at(fi->fh).ino;
  struct stat st {};
  bool const known = ::fstat(static_cast<int>(fi->fh), &st) == 0;
  ::close(static_cast<int>(fi->fh));
  d.handles.erase(fi->fh);
  if (--d.open_count[ino] == 0) d.open_count.erase(ino);
  if (known) forget_if_unreachable(ino, st.st_nlink);
  return 0;
}

int op_statfs(char const*, struct statvfs* st) { return ::statvfs(the_disk().backing.c_str(), st) == 0 ? 0 : fail(); }

int op_access(char const* path, int mask) { return ::access(on_disk(path).c_str(), mask) == 0 ? 0 : fail(); }

void* op_init(fuse_conn_info* conn, fuse_config* cfg) {
  cfg->use_ino = 1;
  cfg->nullpath_ok = 1;
  // Unlinked open files are unlinked on the disk too, not renamed to .fuse_hidden files.
  cfg->hard_remove = 1;
  // Sizes and names change behind the kernel's back at a cut: it caches neither.
  cfg->entry_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->kernel_cache = 0;
  cfg->auto_cache = 0;
  // Through the kernel's page cache (no direct_io), so that shared mmap works, as SQLite's -shm
  // needs; without the writeback cache, every write() reaches this process before it returns.
  cfg->direct_io = 0;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  return fuse_get_context()->private_data;
}

fuse_operations operations() {
  fuse_operations ops{};
  ops.getattr = op_getattr;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.releasedir = op_releasedir;
  ops.mkdir = op_mkdir;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.rename = op_rename;
  ops.chmod = op_chmod;
  ops.chown = op_chown;
  ops.utimens = op_utimens;
  ops.truncate = op_truncate;
  ops.create = op_create;
  ops.open = op_open;
  ops.read = op_read;
  ops.write = op_write;
  ops.fsync = op_fsync;
  ops.fsyncdir = op_fsyncdir;
  ops.fallocate = op_fallocate;
  ops.release = op_release;
  ops.statfs = op_statfs;
  ops.access = op_access;
  ops.init = op_init;
  return ops;
}

// The power cut: what is still only in memory is gone, and names that were never synced are taken
// off the disk. One line says what was lost, for the tests' figures.
void cut_power(disk& d) {
  std::map<std::string, std::size_t> pages_by_kind;
  std::size_t pages = 0;
  for (auto const& [ino, f] : d.cache) {
    auto const& name = d.names[ino];
    std::string kind = name.ends_with("-wal") ? "wal" : name.ends_with("-shm") ? "shm" : name.ends_with(".db") ? "db" : "other";
    pages_by_kind[kind] += f->dirty_pages();
    pages += f->dirty_pages();
  }
  auto const names = d.unsynced.pending();
  for (auto const& path : names) {
    std::error_code ec;
    std::filesystem::remove_all(d.backing + path, ec);
  }
  std::fprintf(stderr, "faultfs: power cut: dropped %zu unsynced pages of %zu files (db %zu, wal %zu, shm %zu, other %zu), "
                       "removed %zu unsynced names\n",
               pages, d.cache.size(), pages_by_kind["db"], pages_by_kind["wal"], pages_by_kind["shm"], pages_by_kind["other"],
               names.size());
  for (auto const& path : names) std::fprintf(stderr, "faultfs: removed unsynced name %s\n", path.c_str());
  d.cache.clear();
}

}  // namespace
}  // namespace dvsync::powerloss

int main(int argc, char** argv) {
  using namespace dvsync::powerloss;
  if (argc != 3) {
    std::fprintf(stderr, "usage: faultfs BACKING MOUNTPOINT\n");
    return 2;
  }
  std::error_code ec;
  auto backing = std::filesystem::canonical(argv[1], ec);
  if (ec || !std::filesystem::is_directory(backing)) {
    std::fprintf(stderr, "faultfs: %s is not a directory\n", argv[1]);
    return 2;
  }
  disk d;
  d.backing = backing.string();
  // Foreground, one thread (every operation is a short memory or backing-file step), and the
  // kernel checking permissions against the backing files' modes.
  std::vector<char*> args{argv[0], argv[2], const_cast<char*>("-f"), const_cast<char*>("-s"), const_cast<char*>("-o"),
                          const_cast<char*>("default_permissions,fsname=faultfs,subtype=faultfs")};
  auto ops = operations();
  int status = fuse_main(static_cast<int>(args.size()), args.data(), &ops, &d);
  cut_power(d);
  return status;
}
