#pragma once
// Turns the body of one Web API page (initial tracked read, nextLink page or delta) into a page.
#include "config/settings.hpp"
#include "core/error.hpp"
#include "dataverse/page.hpp"

#include <string_view>

namespace dvsync::dataverse {

// Members are read by name, in any order. `value` may be absent (Dataverse's "no changes" answer)
// and then yields an empty page. An element is a delete when its own @odata.context mentions
// $deletedEntity, or when it has `id` and `reason` but no primary key; its `id` may be a bare GUID
// or an entity-id such as `accounts(<guid>)`. Any other element is a record: its primary key
// (spec.id) must be a GUID, and a record whose key column (spec.key) is null, missing or "" becomes
// a `rejected` entry with reason "key <name> is null" or "key <name> is empty".
// Anything else that breaks the protocol (bad JSON, `value` not an array, a non-object element, a
// link that is not a string) is errc::protocol with a short message that never quotes the body.
core::result<page> parse_page(std::string_view body, config::table_spec const& spec);

}  // namespace dvsync::dataverse
