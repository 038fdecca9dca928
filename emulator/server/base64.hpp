#pragma once
// RFC 4648 decoding for what clients send the emulator: base64 (section 4; '=' padding optional),
// as in HTTP Basic credentials, and base64url (section 5, unpadded), as in a JWS client assertion.
// None for a character outside the alphabet or a length no encoding gives.
#include <optional>
#include <string>
#include <string_view>

namespace emulator {

std::optional<std::string> decode_base64(std::string_view in);
std::optional<std::string> decode_base64url(std::string_view in);

}  // namespace emulator
