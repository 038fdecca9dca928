#pragma once
// Content-Encoding: gzip, decoded with zlib as the bytes arrive.
#include "core/error.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace dvsync::http {

// Decodes one or more concatenated gzip members (RFC 1952 allows several), chunk by chunk, so a
// compressed body never has to be held whole. A corrupt or truncated stream is errc::network (the
// body was damaged in transit: a later attempt may succeed); output beyond `max_size` is
// errc::protocol. After a failure the decoder refuses everything.
class gzip_decoder {
 public:
  explicit gzip_decoder(std::size_t max_size);
  ~gzip_decoder();
  gzip_decoder(gzip_decoder const&) = delete;
  gzip_decoder& operator=(gzip_decoder const&) = delete;

  // Appends what `chunk` decodes to `out`.
  core::result<void> feed(std::string_view chunk, std::string& out);
  // After the last chunk: errc::network when the input ended inside a member (or was empty).
  core::result<void> finish();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace dvsync::http
