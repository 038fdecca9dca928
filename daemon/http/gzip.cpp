#include "http/gzip.hpp"

#include <zlib.h>

#include <array>

namespace dvsync::http {

namespace {

// Owns a z_stream between inflateInit2 and inflateEnd.
class inflater {
 public:
  inflater() {
    // windowBits 15 + 16: accept the gzip wrapper only, with the largest window.
    ok_ = inflateInit2(&zs_, 15 + 16) == Z_OK;
  }
  ~inflater() {
    if (ok_) inflateEnd(&zs_);
  }
  inflater(inflater const&) = delete;
  inflater& operator=(inflater const&) = delete;

  bool ok() const { return ok_; }
  z_stream& stream() { return zs_; }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

core::error corrupt(std::string_view why) {
  return core::make_error(core::errc::network, "gzip response body is corrupt or cut short: " + std::string(why));
}

}  // namespace

core::result<std::string> gunzip(std::string_view compressed, std::size_t max_size) {
  inflater inf;
  if (!inf.ok()) return core::make_error(core::errc::io, "zlib inflateInit2 failed");
  z_stream& zs = inf.stream();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  if (compressed.size() != zs.avail_in) return core::make_error(core::errc::protocol, "gzip response body too large");

  std::string out;
  std::array<char, 64 * 1024> chunk;
  bool member_done = false;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    int const rc = inflate(&zs, Z_NO_FLUSH);
    std::size_t const produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > max_size) return core::make_error(core::errc::protocol, "decoded response body over the size limit");
    out.append(chunk.data(), produced);

    if (rc == Z_STREAM_END) {
      member_done = true;
      if (zs.avail_in == 0) break;
      // Another gzip member follows (RFC 1952 allows several).
      if (inflateReset(&zs) != Z_OK) return corrupt("cannot reset");
      member_done = false;
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended inside a member
    if (rc != Z_OK) return corrupt(zs.msg != nullptr ? zs.msg : "inflate failed");
  }
  if (!member_done) return corrupt("stream ends before the gzip trailer");
  return out;
}

}  // namespace dvsync::http
