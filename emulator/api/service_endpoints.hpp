#pragma once
// The few non-table resources a sync client touches: the organization row (its change-tracking
// retention, ExpireChangeTrackingInDays) and WhoAmI (a cheap connection check). Table definitions
// are in metadata_endpoints.hpp.

#include <optional>
#include <vector>

#include "address.hpp"
#include "request_context.hpp"

namespace emulator {

struct organization_state {
  std::int64_t version = 0;  // etag of the organization row; bumped when it changes
};

http_response handle_organizations(request_context& ctx, resource_segment const& segment, organization_state& org);
http_response handle_whoami(request_context& ctx);

// GET RetrieveTotalRecordCount(EntityNames=@p1)?@p1=["account",...] (function reference, Web API):
// the row count of each named table. The service answers from a snapshot of the last 24 hours; the
// emulator counts now [I]. `raw_query` is the request's query, still percent-encoded.
http_response handle_total_record_count(request_context& ctx, std::string_view function_segment, std::string_view raw_query);

}  // namespace emulator
