#pragma once
// Stateless paging: everything needed to serve the next page lives in the link the client gets,
// so a client can resume after a restart (or against a restarted emulator with the same data).
// $skiptoken imitates the documented Dataverse cookie,
//   <cookie pagenumber="2" pagingcookie="<percent-encoded inner cookie>" istracking="True" />
// and $deltatoken uses the documented "<version>!<MM/dd/yyyy HH:mm:ss>" form.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "errors.hpp"
#include "guid.hpp"
#include "schema.hpp"

namespace emulator {

enum class cursor_kind { plain, initial, delta };
enum class delta_phase { changes, deletes };

struct page_cursor {
  cursor_kind kind = cursor_kind::plain;
  int page_number = 2;  // the page this cursor fetches (the first page is 1)
  int page_size = 0;    // the size earlier pages were served with
  // plain and initial reads walk rows by id; the next page starts after last_id.
  guid first_id{}, last_id{};
  // initial and delta reads: the token the last page's delta link will carry.
  std::int64_t token_version = 0, token_time = 0;
  // delta reads: the token being answered, and the position in (from_version, token_version].
  std::int64_t from_version = 0, from_time = 0;
  delta_phase phase = delta_phase::changes;
  std::int64_t last_version = 0;
};

// Returns the $skiptoken value already percent-encoded for a URL.
std::string encode_skiptoken(page_cursor const& c, table_schema const& t);
// `value` is the query value after percent-decoding. A token of another table, of another shape
// or with inconsistent numbers is a 400.
result<page_cursor> decode_skiptoken(std::string_view value, table_schema const& t);

struct delta_token {
  std::int64_t version = 0;
  std::int64_t time = 0;  // unix seconds
};
std::string encode_deltatoken(delta_token const& d);  // percent-encoded for a URL
std::optional<delta_token> decode_deltatoken(std::string_view value);

}  // namespace emulator
