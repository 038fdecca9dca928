#pragma once
// What goes over the wire, without Beast: the rest of the daemon builds requests and reads
// responses through these types only.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvsync::http {

enum class verb { get = 1, post, patch, delete_ };

struct header {
  std::string name;
  std::string value;
};
using header_list = std::vector<header>;

struct request {
  verb method = verb::get;
  std::string url;        // absolute http:// or https:// URL, sent with its path and query unchanged
  header_list headers;    // may hold a bearer token: never log
  std::string body;
};

struct response {
  int status = 0;
  std::string reason;     // the server's reason phrase, possibly empty
  header_list headers;
  std::string body;       // already gzip-decoded

  // First header with this name, compared case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b);
std::optional<std::string_view> find_header(header_list const& headers, std::string_view name);

}  // namespace dvsync::http
