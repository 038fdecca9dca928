#pragma once
// URLs the daemon requests: the first one it builds, and the server's links it agrees to follow.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "dataverse/page.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dvsync::dataverse {

// A nextLink or deltaLink is followed only when it is an absolute URL with the configured URL's
// scheme, host (case-insensitive) and port (default ports made explicit), and a path below
// `<configured path>/api/data/`. Otherwise errc::link_rejected; the message names the host but
// never the link, whose query is a token.
core::result<void> check_link(std::string_view link, std::string_view dataverse_url);

// The links of one cycle's pages, checked before any is followed or stored: each must pass
// check_link, and a nextLink must not lead back to a URL the cycle has already fetched, as a
// server that hands out one link again would have the daemon page forever (errc::protocol; the
// message names the pages, never the link). Dataverse's paging cookie moves on with every page,
// so a repeat is always a loop. Links are remembered by a 64-bit hash, a few bytes per page.
class link_guard {
 public:
  // `first_url`: the cycle's first request (its initial URL, delta link or saved cursor).
  link_guard(std::string dataverse_url, std::string_view first_url);

  // The page just fetched: page 1 is the answer to first_url.
  core::result<void> check(page const& p);

 private:
  std::string dataverse_url_;
  std::size_t pages_ = 0;
  std::unordered_map<std::size_t, std::size_t> fetched_;  // hash of a URL -> the page it answered with
};

// `<url>/api/data/v<api_version>/<entity_set>?$select=<columns, in order>`. The primary key is
// returned without being selected. Identifiers are validated by config, so nothing needs encoding.
std::string initial_url(config::dataverse_settings const& dataverse, config::table_spec const& table);

// `<url>/api/data/v<api_version>/<entity_set>?$select=<id>,versionnumber`: every row's id and
// version, the untracked read of `dvsync verify`.
std::string versions_url(config::dataverse_settings const& dataverse, config::table_spec const& table);

// Whether `id` is a GUID as the mirror stores it (lower-case hex, 8-4-4-4-12): only such an id is
// put into a URL.
bool is_row_id(std::string_view id);

// `<url>/api/data/v<api_version>/<entity_set>(<id>)?$select=<columns>`: one row, as initial_url
// selects it. `id` must pass is_row_id.
std::string row_url(config::dataverse_settings const& dataverse, config::table_spec const& table, std::string_view id);

}  // namespace dvsync::dataverse
