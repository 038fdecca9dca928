#pragma once
// Turns the body of one Web API page (initial tracked read, nextLink page or delta) into a page.
#include "config/table_spec.hpp"
#include "core/error.hpp"
#include "dataverse/page.hpp"

#include <string_view>

namespace dvsync::dataverse {

// Members are read by name, in any order; members that are not selected (annotations, other
// attributes) are ignored, and a member repeated in one element counts once, its last occurrence.
// `value` may be absent (Dataverse's "no changes" answer) and then yields an empty page. An element
// is a delete when its own @odata.context mentions $deletedEntity, or when it has `id` and `reason`
// but no primary key; its `id` may be a bare GUID or an entity-id such as `accounts(<guid>)`. Any
// other element is a record: its primary key (spec.id) must be a GUID.
//
// A record holds one value per field of config::fields_of(spec), each column read from its
// column_spec::wire member and converted by its type (null stays null, and so do its exact digits
// or target):
//   json      null, true/false as 1/0, integer, real, string; an object or array as its JSON text
//   text      a string                     integer, choice   an integer within int64
//   boolean   true/false as 1/0            real              any number, as a double
//   decimal   a number, or a string holding one (IEEE754Compatible): the double, and in the exact
//             field the number's text as sent ("922337203685477.5807", "0.1", "-1E-7")
//   datetime  YYYY-MM-DDTHH:MM:SS[.fraction] with Z or +hh:mm/-hh:mm, stored in UTC with Z and the
//             fraction as sent
//   date      YYYY-MM-DD, or a datetime at 00:00:00 (any offset) whose date part is kept
//   guid, lookup  a GUID in lower case; a polymorphic lookup's target field is the string of its
//             <wire>@Microsoft.Dynamics.CRM.lookuplogicalname annotation, null when absent
//   choices   "1,3" or [1,3], stored as [1,3]; "" and [] are null
// A record becomes a `rejected` entry, with the raw JSON of its element (keys and strings escaped,
// numbers as sent), when its key column (spec.key, by column name; none when spec.key is empty) is
// null, missing or "" ("key <name> is null", "key <name> is empty"), or else when a value does not
// fit its type ("attribute <name>: expected a number, not a string", for the first such column).
// Anything else that breaks the protocol (bad JSON, invalid UTF-8, `value` not an array or
// repeated, a non-object element, a link that is not a string, a number beyond the range of
// double) is errc::protocol with a short message that never quotes the body.
core::result<page> parse_page(std::string_view body, config::table_spec const& spec);

}  // namespace dvsync::dataverse
