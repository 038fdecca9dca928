#pragma once
// application/x-www-form-urlencoded bodies and query strings.
#include <optional>
#include <string>
#include <string_view>

namespace emulator {

// `+` is a space, %XX a byte. Returns nullopt on a bad escape.
std::optional<std::string> form_decode(std::string_view text);

// The decoded value of one field (`a=1&b=2`); nullopt when absent or badly encoded.
std::optional<std::string> form_field(std::string_view form, std::string_view name);

}  // namespace emulator
