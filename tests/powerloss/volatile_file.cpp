#include "volatile_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

namespace dvsync::powerloss {

volatile_file::volatile_file(int backing_fd) : fd_(backing_fd) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0) size_ = floor_ = static_cast<std::uint64_t>(st.st_size);
}

volatile_file::~volatile_file() { ::close(fd_); }

int volatile_file::read_backing(char* buf, std::size_t n, std::uint64_t offset) const {
  std::size_t from_disk = offset >= floor_ ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(n, floor_ - offset));
  std::size_t done = 0;
  while (done < from_disk) {
    ssize_t got = ::pread(fd_, buf + done, from_disk - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (got == 0) break;  // the backing file is shorter than the floor: only if changed behind our back
    done += static_cast<std::size_t>(got);
  }
  std::memset(buf + done, 0, n - done);
  return 0;
}

ssize_t volatile_file::read(char* buf, std::size_t n, std::uint64_t offset) const {
  if (offset >= size_) return 0;
  n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset));
  std::size_t done = 0;
  while (done < n) {
    std::uint64_t const at = offset + done;
    std::uint64_t const index = at / page_size;
    auto cached = pages_.lower_bound(index);
    if (cached != pages_.end() && cached->first == index) {
      std::size_t const in_page = at % page_size;
      std::size_t const take = std::min(n - done, page_size - in_page);
      std::memcpy(buf + done, cached->second->data() + in_page, take);
      done += take;
      continue;
    }
    // Uncached bytes up to the next cached page come from the backing file in one read.
    std::uint64_t const run_end = cached == pages_.end() ? offset + n : std::min(offset + n, cached->first * page_size);
    std::size_t const take = static_cast<std::size_t>(run_end - at);
    if (int e = read_backing(buf + done, take, at); e != 0) return e;
    done += take;
  }
  return static_cast<ssize_t>(n);
}

volatile_file::page* volatile_file::cached_page(std::uint64_t index, int& error) {
  auto& slot = pages_[index];
  if (!slot) {
    auto fresh = std::make_unique<page>();
    if (int e = read_backing(fresh->data(), page_size, index * page_size); e != 0) {
      pages_.erase(index);
      error = e;
      return nullptr;
    }
    slot = std::move(fresh);
  }
  return slot.get();
}

ssize_t volatile_file::write(char const* buf, std::size_t n, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < n) {
    std::uint64_t const at = offset + done;
    int error = 0;
    page* p = cached_page(at / page_size, error);
    if (p == nullptr) return error;
    std::size_t const in_page = at % page_size;
    std::size_t const take = std::min(n - done, page_size - in_page);
    std::memcpy(p->data() + in_page, buf + done, take);
    done += take;
  }
  size_ = std::max<std::uint64_t>(size_, offset + n);
  dirty_ = true;
  return static_cast<ssize_t>(n);
}

int volatile_file::truncate(std::uint64_t size) {
  if (size < size_) {
    // Bytes past the new end must read as zeros should the file grow again: cached pages past it
    // go, the page holding the end keeps only what precedes it, and the backing file's bytes past
    // it stop counting.
    pages_.erase(pages_.lower_bound((size + page_size - 1) / page_size), pages_.end());
    if (auto last = pages_.find(size / page_size); last != pages_.end())
      std::memset(last->second->data() + size % page_size, 0, page_size - size % page_size);
    floor_ = std::min(floor_, size);
  }
  size_ = size;
  dirty_ = true;
  return 0;
}

int volatile_file::sync() {
  if (!dirty_) return 0;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return -errno;
  // Stale bytes past the floor go first, so that holes between cached pages read as zeros.
  if (static_cast<std::uint64_t>(st.st_size) > floor_ && ::ftruncate(fd_, static_cast<off_t>(floor_)) != 0) return -errno;
  for (auto const& [index, p] : pages_) {
    std::uint64_t const start = index * page_size;
    if (start >= size_) break;
    std::size_t const len = static_cast<std::size_t>(std::min<std::uint64_t>(page_size, size_ - start));
    std::size_t done = 0;
    while (done < len) {
      ssize_t put = ::pwrite(fd_, p->data() + done, len - done, static_cast<off_t>(start + done));
      if (put < 0) {
        if (errno == EINTR) continue;
        return -errno;
      }
      done += static_cast<std::size_t>(put);
    }
  }
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) return -errno;
  // The backing directory stands for the disk: what is in its files is what survives a cut. The
  // host's own durability is not under test, so there is no fsync of the backing file here.
  pages_.clear();
  floor_ = size_;
  dirty_ = false;
  return 0;
}

}  // namespace dvsync::powerloss
