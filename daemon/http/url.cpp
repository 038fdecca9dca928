#include "http/url.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace dvsync::http {

namespace urls = boost::urls;

core::result<endpoint> parse_url(std::string_view url) {
  auto parsed = urls::parse_uri(url);
  if (!parsed) return core::make_error(core::errc::protocol, "not an absolute URI: " + parsed.error().message());
  urls::url_view const& u = *parsed;

  endpoint e;
  if (u.scheme_id() == urls::scheme::https) {
    e.tls = true;
  } else if (u.scheme_id() != urls::scheme::http) {
    return core::make_error(core::errc::protocol, "unsupported URL scheme '" + std::string(u.scheme()) + "'");
  }
  if (u.has_userinfo()) return core::make_error(core::errc::protocol, "URLs with user info are not accepted");
  switch (u.host_type()) {
    case urls::host_type::name:
      e.host = u.host_address();
      break;
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
      e.host = u.host_address();
      e.host_is_ip = true;
      break;
    default:
      return core::make_error(core::errc::protocol, "URL has no usable host");
  }
  if (e.host.empty()) return core::make_error(core::errc::protocol, "URL has an empty host");

  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return core::make_error(core::errc::protocol, "URL has an invalid port");
    e.port = u.port_number();
  } else {
    e.port = e.tls ? 443 : 80;
  }

  e.target = u.encoded_path().empty() ? std::string("/") : std::string(u.encoded_path());
  if (u.has_query()) {
    e.target += '?';
    e.target += u.encoded_query();
  }
  return e;
}

namespace {

std::string bracketed_host(endpoint const& e) {
  bool const ipv6 = e.host_is_ip && e.host.find(':') != std::string::npos;
  return ipv6 ? "[" + e.host + "]" : e.host;
}

}  // namespace

std::string origin(endpoint const& e) {
  return (e.tls ? "https://" : "http://") + bracketed_host(e) + ':' + std::to_string(e.port);
}

std::string host_header(endpoint const& e) {
  if (e.port == (e.tls ? 443 : 80)) return bracketed_host(e);
  return bracketed_host(e) + ':' + std::to_string(e.port);
}

std::string form_encode(std::vector<std::pair<std::string_view, std::string_view>> const& fields) {
  urls::encoding_opts opts;
  opts.space_as_plus = true;
  std::string out;
  for (auto const& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += urls::encode(name, urls::unreserved_chars, opts);
    out += '=';
    out += urls::encode(value, urls::unreserved_chars, opts);
  }
  return out;
}

}  // namespace dvsync::http
