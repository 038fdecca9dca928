#include "store.hpp"

#include <algorithm>
#include <stdexcept>

namespace emulator {

store::store(schema s, int retention_days) : retention_days_(0) {
  set_retention_days(retention_days);
  for (auto& t : s.tables) tables_.emplace_back(std::move(t));
  global_option_sets_ = std::move(s.global_option_sets);
}

table* store::find(std::string_view entity_set) {
  for (auto& t : tables_)
    if (t.schema().entity_set == entity_set) return &t;
  return nullptr;
}

table const* store::find(std::string_view entity_set) const {
  for (auto const& t : tables_)
    if (t.schema().entity_set == entity_set) return &t;
  return nullptr;
}

bool store::remove(std::string_view entity_set) {
  auto const it =
      std::find_if(tables_.begin(), tables_.end(), [&](table const& t) { return t.schema().entity_set == entity_set; });
  if (it == tables_.end()) return false;
  tables_.erase(it);
  return true;
}

std::chrono::system_clock::time_point store::now_point() const {
  return std::chrono::system_clock::now() + clock_offset_;
}

std::int64_t store::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(now_point().time_since_epoch()).count();
}

void store::advance_clock(std::chrono::seconds s) {
  if (s.count() < 0) throw std::invalid_argument("the emulator clock only moves forward");
  clock_offset_ += s;
  purge();
}

void store::set_retention_days(int days) {
  // The organization column ExpireChangeTrackingInDays allows 0..365 (reference §5.1).
  if (days < 0 || days > 365) throw std::invalid_argument("change retention must be between 0 and 365 days");
  retention_days_ = days;
  purge();
}

bool store::token_expired(std::int64_t token_version, std::int64_t token_time) const {
  if (token_version < expired_below_ || token_version > version_) return true;
  return token_time < now() - std::int64_t{retention_days_} * 86400;
}

void store::expire_tokens() {
  // Tokens minted from now on carry the bumped version and stay valid.
  expired_below_ = next_version();
}

void store::purge() {
  std::int64_t const cutoff = now() - std::int64_t{retention_days_} * 86400;
  for (auto& t : tables_) {
    // A token at or above a purged tombstone's version has already seen that delete.
    expired_below_ = std::max(expired_below_, t.purge_tombstones(cutoff));
  }
}

void store::reset() {
  for (auto& t : tables_) t.clear();
  expire_tokens();
}

}  // namespace emulator
