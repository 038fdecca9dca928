#pragma once
// URLs the daemon requests: the first one it builds, and the server's links it agrees to follow.
#include "config/settings.hpp"
#include "core/error.hpp"

#include <string>
#include <string_view>

namespace dvsync::dataverse {

// A nextLink or deltaLink is followed only when it is an absolute URL with the configured URL's
// scheme, host (case-insensitive) and port (default ports made explicit), and a path below
// `<configured path>/api/data/`. Otherwise errc::link_rejected; the message names the host but
// never the link, whose query is a token.
core::result<void> check_link(std::string_view link, std::string_view dataverse_url);

// `<url>/api/data/v<api_version>/<entity_set>?$select=<columns, in order>`. The primary key is
// returned without being selected. Identifiers are validated by config, so nothing needs encoding.
std::string initial_url(config::dataverse_settings const& dataverse, config::table_spec const& table);

}  // namespace dvsync::dataverse
