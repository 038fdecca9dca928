#pragma once
// What every handler needs to know about one request, parsed once by the router.

#include <string>
#include <vector>

#include "headers.hpp"
#include "query.hpp"
#include "render.hpp"
#include "store.hpp"
#include "web_api.hpp"

namespace emulator {

struct request_context {
  http_request const& request;
  store& db;
  options const& opts;
  std::string service_root;  // origin + /api/data/v9.x, the prefix of every link we hand out
  preferences prefs;
  query_options query;
};

// Rendering state for this request's records: the annotations it asked for.
render_scratch scratch_for(request_context const& ctx);
// odata.include-annotations="<as requested>", for Preference-Applied.
std::string annotations_applied(request_context const& ctx);

// A JSON response with the headers every Web API response carries; `applied` becomes the
// Preference-Applied header when not empty.
http_response json_response(int status, std::string body, std::vector<std::string> const& applied = {});
http_response no_content(std::vector<std::pair<std::string, std::string>> extra_headers);

}  // namespace emulator
