#pragma once
// Content-Encoding: gzip for clients that ask for it (--gzip).
#include <string>
#include <string_view>

namespace emulator {

// True when an Accept-Encoding value lists gzip (or *) without q=0.
bool accepts_gzip(std::string_view accept_encoding);

// A complete gzip member (RFC 1952) holding `data`. Throws std::runtime_error only if zlib fails,
// which it does not for in-memory input.
std::string gzip_compress(std::string_view data);

}  // namespace emulator
