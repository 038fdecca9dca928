#pragma once
// Appending JSON text and timestamps to a std::string. Pages of thousands of rows are rendered by
// appending, not by building a JSON tree, so these are the hot helpers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emulator {

void append_json_string(std::string& out, std::string_view s);  // quoted and escaped
void append_int(std::string& out, std::int64_t v);

// Unix seconds <-> "2023-04-07T21:59:01Z", the Web API form of a date and time (UTC, seconds).
void append_iso_time(std::string& out, std::int64_t unix_seconds);
// Accepts YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or +HH:MM/-HH:MM (or no zone = UTC).
std::optional<std::int64_t> parse_iso_time(std::string_view s);

// "4/7/2023 9:59 PM" (or "4/7/2023"): the en-US formatted value of a date, here in UTC.
std::string formatted_time(std::int64_t unix_seconds, bool date_only);

// Unix seconds <-> "08/22/2017 08:10:44", the timestamp inside a documented $deltatoken.
std::string token_time(std::int64_t unix_seconds);
std::optional<std::int64_t> parse_token_time(std::string_view s);

// Counts UTF-16 code units, the unit of a Dataverse text column's maximum length.
std::size_t utf16_length(std::string_view utf8);

}  // namespace emulator
