#pragma once
// RFC 4648 encodings: base64 (section 4, padded with '='), as HTTP Basic credentials use it, and
// base64url (section 5, unpadded), as JWS does (RFC 7515 section 2).
#include <string>
#include <string_view>

namespace dvsync::core {

std::string base64(std::string_view bytes);
std::string base64url(std::string_view bytes);

}  // namespace dvsync::core
