#include "http/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>

namespace dvsync::http {

namespace {

core::error corrupt(std::string_view why) {
  return core::make_error(core::errc::network, "gzip response body is corrupt or cut short: " + std::string(why));
}

}  // namespace

struct gzip_decoder::impl {
  z_stream zs{};
  bool initialized = false;
  bool member_done = false;  // the input so far ends exactly at the end of a member
  std::size_t max_size = 0;
  std::optional<core::error> failed;
  std::array<char, 64 * 1024> chunk{};

  ~impl() {
    if (initialized) inflateEnd(&zs);
  }

  core::error fail(core::error e) {
    failed = e;
    return e;
  }
};

gzip_decoder::gzip_decoder(std::size_t max_size) : impl_(std::make_unique<impl>()) {
  impl_->max_size = max_size;
  // windowBits 15 + 16: accept the gzip wrapper only, with the largest window.
  impl_->initialized = inflateInit2(&impl_->zs, 15 + 16) == Z_OK;
  if (!impl_->initialized) impl_->failed = core::make_error(core::errc::io, "zlib inflateInit2 failed");
}

gzip_decoder::~gzip_decoder() = default;

core::result<void> gzip_decoder::feed(std::string_view input, std::string& out) {
  auto& s = *impl_;
  if (s.failed) return *s.failed;
  z_stream& zs = s.zs;
  while (!input.empty()) {
    // zlib counts in uInt: hand it at most 1 GiB at a time.
    std::size_t const take = std::min<std::size_t>(input.size(), std::size_t{1} << 30);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    zs.avail_in = static_cast<uInt>(take);
    input.remove_prefix(take);
    bool output_pending = false;  // inflate filled the buffer: it may hold more
    while (zs.avail_in > 0 || output_pending) {
      if (s.member_done) {
        if (zs.avail_in == 0) break;
        if (inflateReset(&zs) != Z_OK) return s.fail(corrupt("cannot reset"));
        s.member_done = false;  // another gzip member follows
      }
      zs.next_out = reinterpret_cast<Bytef*>(s.chunk.data());
      zs.avail_out = static_cast<uInt>(s.chunk.size());
      int const rc = inflate(&zs, Z_NO_FLUSH);
      std::size_t const produced = s.chunk.size() - zs.avail_out;
      if (out.size() + produced > s.max_size)
        return s.fail(core::make_error(core::errc::protocol, "decoded response body over the size limit"));
      out.append(s.chunk.data(), produced);
      if (rc == Z_STREAM_END) {
        s.member_done = true;
        output_pending = false;
        continue;
      }
      if (rc == Z_BUF_ERROR) break;  // no progress possible until more input arrives
      if (rc != Z_OK) return s.fail(corrupt(zs.msg != nullptr ? zs.msg : "inflate failed"));
      output_pending = zs.avail_out == 0;
    }
  }
  return {};
}

core::result<void> gzip_decoder::finish() {
  auto& s = *impl_;
  if (s.failed) return *s.failed;
  if (!s.member_done) return s.fail(corrupt("stream ends before the gzip trailer"));
  return {};
}

}  // namespace dvsync::http
