#pragma once
// Content-Encoding: gzip, decoded with zlib.
#include "core/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace dvsync::http {

// Decodes one or more concatenated gzip members. A corrupt or truncated stream is errc::network
// (the body was damaged in transit: a later attempt may succeed); output beyond `max_size` is
// errc::protocol.
core::result<std::string> gunzip(std::string_view compressed, std::size_t max_size);

}  // namespace dvsync::http
