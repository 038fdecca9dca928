#include "request_context.hpp"

namespace emulator {

render_scratch scratch_for(request_context const& ctx) {
  render_scratch s;
  if (ctx.prefs.include_annotations) s.annotations = parse_annotation_prefs(*ctx.prefs.include_annotations);
  s.db = &ctx.db;
  return s;
}

std::string annotations_applied(request_context const& ctx) {
  return "odata.include-annotations=\"" + ctx.prefs.include_annotations.value_or("") + "\"";
}

http_response json_response(int status, std::string body, std::vector<std::string> const& applied) {
  http_response r;
  r.status = status;
  r.headers = {{"OData-Version", "4.0"}, {"Content-Type", "application/json; odata.metadata=minimal"}};
  if (!applied.empty()) {
    std::string value;
    for (auto const& a : applied) {
      if (!value.empty()) value += ',';
      value += a;
    }
    r.headers.emplace_back("Preference-Applied", std::move(value));
  }
  r.body = std::move(body);
  return r;
}

http_response no_content(std::vector<std::pair<std::string, std::string>> extra_headers) {
  http_response r;
  r.status = 204;
  r.headers = {{"OData-Version", "4.0"}};
  for (auto& h : extra_headers) r.headers.push_back(std::move(h));
  return r;
}

}  // namespace emulator
