#pragma once
// What a disk's volatile write cache holds for one file: the pages written since the file was last
// synced, and its size as writers see it. The backing file is the durable copy: nothing reaches it
// before sync(), so a power cut is simply forgetting this object.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include <sys/types.h>

namespace dvsync::powerloss {

class volatile_file {
 public:
  static constexpr std::size_t page_size = 4096;

  // Takes ownership of `backing_fd`, which must be open for reading and writing.
  explicit volatile_file(int backing_fd);
  volatile_file(volatile_file const&) = delete;
  volatile_file& operator=(volatile_file const&) = delete;
  ~volatile_file();

  // The size writers see, unsynced writes and truncations included.
  std::uint64_t size() const { return size_; }
  // True when the backing file differs from what readers see.
  bool dirty() const { return dirty_; }
  // Pages written since the last sync.
  std::size_t dirty_pages() const { return pages_.size(); }

  // Bytes read (short at the end of the file), or -errno.
  ssize_t read(char* buf, std::size_t n, std::uint64_t offset) const;
  // Caches the bytes; n, or -errno.
  ssize_t write(char const* buf, std::size_t n, std::uint64_t offset);
  // Sets the size; bytes past a shrink read as zeros if the file grows again. 0 or -errno.
  int truncate(std::uint64_t size);
  // Makes the backing file equal to what readers see (fsync, fdatasync). 0 or -errno.
  int sync();

 private:
  using page = std::array<char, page_size>;
  // The cached page `index`, read in from the backing file when not cached yet.
  page* cached_page(std::uint64_t index, int& error);
  // Backing bytes [offset, offset + n) that are still the file's (below floor_), zeros past them.
  int read_backing(char* buf, std::size_t n, std::uint64_t offset) const;

  int fd_;
  std::uint64_t size_ = 0;
  // Backing bytes at or past the floor are not the file's any more: it was truncated below them
  // since the last sync. Always at most size_.
  std::uint64_t floor_ = 0;
  bool dirty_ = false;
  std::map<std::uint64_t, std::unique_ptr<page>> pages_;
};

}  // namespace dvsync::powerloss
