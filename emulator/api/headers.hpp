#pragma once
// Request headers the Web API looks at: Prefer (RFC 7240, possibly repeated, possibly a comma
// list), If-Match and If-None-Match.

#include <optional>
#include <string>
#include <string_view>

#include "web_api.hpp"

namespace emulator {

bool iequals(std::string_view a, std::string_view b);
// The first header with that name (case-insensitive), trimmed.
std::optional<std::string_view> find_header(http_request const& r, std::string_view name);

struct preferences {
  bool track_changes = false;
  std::optional<int> max_page_size;  // only a positive integer counts; anything else is ignored
  bool return_representation = false;
  // odata.include-annotations as sent, without quotes (e.g. * or a comma list of terms).
  std::optional<std::string> include_annotations;
};

// Which instance annotations odata.include-annotations asks for: "*", exact names, "Namespace.*"
// and exclusions ("-name"), as OData 4.0 defines the preference.
struct annotation_prefs {
  bool formatted_value = false;        // OData.Community.Display.V1.FormattedValue
  bool lookup_logical_name = false;    // Microsoft.Dynamics.CRM.lookuplogicalname
  bool navigation_property = false;    // Microsoft.Dynamics.CRM.associatednavigationproperty
  bool any() const { return formatted_value || lookup_logical_name || navigation_property; }
};
annotation_prefs parse_annotation_prefs(std::string_view value);
preferences parse_prefer(http_request const& r);

}  // namespace emulator
