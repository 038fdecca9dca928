#pragma once
// The fault script: a list of faults that the control API loads and that the router applies, in
// order, to the next matching requests (Web API and token endpoint, never the control API).
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emulator {

enum class wrong_type_kind { value_number = 1, value_object, row_fields };

struct fault {
  // Match: method (empty: any), a substring of the raw request target (path and query; empty:
  // any), a substring of the Prefer headers, whatever its case (empty: any, even none), and how
  // many matching requests to let through untouched first.
  std::string method;
  std::string path;
  std::string prefer;
  int skip = 0;
  int count = 1;  // matching requests it applies to; -1: all of them

  std::optional<int> status;  // replaces the response
  std::optional<std::string> retry_after;  // sent verbatim
  std::string body;  // with status: the new body (may be empty)
  std::string content_type;
  std::chrono::milliseconds delay{0};
  std::optional<std::size_t> truncate_after;  // body bytes sent before the connection closes
  bool reset = false;
  bool drop_next_link = false;
  bool drop_delta_link = false;
  bool corrupt_json = false;
  std::optional<wrong_type_kind> wrong_types;

  std::string source;  // the fault as given, echoed by GET /_emulator/faults
  int skipped = 0;
  int applied = 0;
};

class fault_script {
 public:
  // Replaces the script with `{"faults":[...]}` or a bare array. On error the script is unchanged
  // and the message names the fault index and field.
  std::optional<std::string> load(std::string_view json_text);
  void clear();

  // The fault that applies to this request, if any; counts it as applied.
  // `prefer`: every Prefer header of the request, joined.
  std::optional<fault> take(std::string_view method, std::string_view target, std::string_view prefer = {});

  // `{"faults":[{...as given, "remaining","skipped","applied"}],"applied_total":N}`
  std::string report() const;

 private:
  std::vector<fault> faults_;
  int applied_total_ = 0;
};

// Body rewrites. A body that is not a JSON object is returned unchanged by the first and last.
std::string without_links(std::string const& body, bool next_link, bool delta_link);
std::string corrupted_json(std::string const& body);
std::string with_wrong_types(std::string const& body, wrong_type_kind kind);

}  // namespace emulator
