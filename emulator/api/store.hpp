#pragma once
// The organization's data: every table, the global version counter that every write bumps, the
// emulator clock, and the rule that decides whether a change-tracking token has expired.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "schema.hpp"
#include "table.hpp"

namespace emulator {

class store {
 public:
  store(schema s, int retention_days);

  table* find(std::string_view entity_set);
  table const* find(std::string_view entity_set) const;
  // Deletes a table with its rows, as a customizer deleting it does; false when there is none.
  bool remove(std::string_view entity_set);
  std::vector<table>& tables() { return tables_; }
  std::vector<table> const& tables() const { return tables_; }
  std::vector<std::shared_ptr<option_set const>> const& global_option_sets() const { return global_option_sets_; }

  std::int64_t version() const { return version_; }
  std::int64_t next_version() { return ++version_; }

  std::chrono::system_clock::time_point now_point() const;
  std::int64_t now() const;  // unix seconds of the emulator clock
  void advance_clock(std::chrono::seconds s);

  int retention_days() const { return retention_days_; }
  void set_retention_days(int days);

  // A token names the version it was minted at and when. It is expired when it is older than the
  // retention window, when tombstones it would need were purged, when expire_tokens() ran after
  // it was minted, or when it is from the future (another emulator run).
  bool token_expired(std::int64_t token_version, std::int64_t token_time) const;
  void expire_tokens();
  // Drops tombstones older than the retention window (called on every request and clock move).
  void purge();
  void reset();  // empties every table; versions keep increasing; every token expires

 private:
  std::vector<table> tables_;
  std::vector<std::shared_ptr<option_set const>> global_option_sets_;
  std::int64_t version_ = 0;
  std::int64_t expired_below_ = 0;  // tokens with a lower version are expired
  std::chrono::seconds clock_offset_{0};
  int retention_days_;
};

}  // namespace emulator
