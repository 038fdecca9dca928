#pragma once
// The few non-table resources a sync client touches: the organization row (its change-tracking
// retention, ExpireChangeTrackingInDays), WhoAmI (a cheap connection check) and
// EntityDefinitions (is change tracking enabled on a table).

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
http_response handle_entity_definitions(request_context& ctx, resource_segment const& segment);

}  // namespace emulator
