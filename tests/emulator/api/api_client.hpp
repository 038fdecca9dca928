#pragma once
// Drives emulator::web_api the way the HTTP server does, without sockets: builds requests,
// returns responses, and parses bodies with Boost.JSON.

#include <boost/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/web_api.hpp"

namespace emulator::test {

inline constexpr char const* origin = "http://127.0.0.1:41234";
inline std::string const books = "/api/data/v9.2/sample_books";

using header_list = std::vector<std::pair<std::string, std::string>>;

struct api_client {
  web_api& api;

  http_response send(std::string method, std::string target, std::string body = {}, header_list headers = {}) {
    http_request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.headers.emplace_back("OData-Version", "4.0");
    r.origin = origin;
    return api.handle(r);
  }
  http_response get(std::string target, header_list headers = {}) {
    return send("GET", std::move(target), {}, std::move(headers));
  }
  // Follows a link the emulator handed out (absolute URL) by stripping the origin.
  http_response follow(std::string const& link, header_list headers = {}) {
    return get(link.substr(std::string(origin).size()), std::move(headers));
  }
};

inline boost::json::object json_of(http_response const& r) {
  return boost::json::parse(r.body).as_object();
}

inline std::string header(http_response const& r, std::string const& name) {
  for (auto const& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

inline std::string text(boost::json::object const& o, char const* key) {
  auto const* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline std::string error_code(http_response const& r) {
  return text(json_of(r).at("error").as_object(), "code");
}
inline std::string error_message(http_response const& r) {
  return text(json_of(r).at("error").as_object(), "message");
}

// W/"123" -> 123
inline std::int64_t etag_version(boost::json::object const& record) {
  std::string const etag = text(record, "@odata.etag");
  return std::stoll(etag.substr(3, etag.size() - 4));
}

inline bool is_deleted_entry(boost::json::object const& o) {
  std::string const ctx = text(o, "@odata.context");
  return ctx.size() >= 15 && ctx.substr(ctx.size() - 15) == "/$deletedEntity";
}

}  // namespace emulator::test
