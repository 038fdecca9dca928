#include "generator.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cells.hpp"
#include "decimal_text.hpp"
#include "json_text.hpp"
#include "value_codec.hpp"

namespace emulator {
namespace {

// "sample_bookcode" -> "bookcode": the publisher prefix adds nothing to a generated value.
std::string_view short_name(std::string_view column) {
  auto const underscore = column.find('_');
  return underscore == std::string_view::npos || underscore + 1 == column.size() ? column
                                                                                 : column.substr(underscore + 1);
}

bool in_key(table_schema const& t, std::size_t column) {
  for (auto const& k : t.keys)
    if (std::find(k.columns.begin(), k.columns.end(), column) != k.columns.end()) return true;
  return false;
}

// Owners of generated rows: the calling user (see row_writer.cpp) and two more, as a real table
// is owned by a handful of users and teams.
constexpr std::string_view owner_pool[] = {"22cc22cc-dd33-ee44-ff55-66aa66aa66aa",
                                           "33dd33dd-ee44-ff55-aa66-77bb77bb77bb",
                                           "44ee44ee-ff55-aa66-bb77-88cc88cc88cc"};

std::string random_digits(std::mt19937_64& rng, int count) {
  std::string d;
  for (int i = 0; i < count; ++i) d.push_back(static_cast<char>('0' + rng() % 10));
  return d;
}

// A plausible number in the column's range: up to 10,000,000 (or the range's bounds), with
// random digits after the point.
std::string generate_number(column const& c, std::mt19937_64& rng) {
  auto const whole = [](std::string const& x) { return std::stoll(*normalize_decimal(x, 0)); };
  std::int64_t lo = std::clamp<std::int64_t>(whole(c.min_number), -10000000, 10000000);
  if (c.type != column_type::double_) lo = std::max<std::int64_t>(lo, 0);
  // Rates (many digits after the point) stay near 1, amounts go up to ten million.
  std::int64_t const cap = c.precision >= 6 ? 2 : 10000000;
  std::int64_t const hi = std::clamp<std::int64_t>(whole(c.max_number) - 1, lo, cap);
  std::string n = std::to_string(lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1)));
  if (c.precision > 0) n += "." + random_digits(rng, c.precision);
  if (compare_decimal(n, c.min_number) < 0) n = c.min_number;
  if (compare_decimal(n, c.max_number) > 0) n = c.max_number;
  if (c.type == column_type::double_) return double_cell(*normalize_decimal(n, c.precision));
  return decimal_cell(c, n);
}

// A lookup at an existing row of a target table when there is one (several targets: any of
// them), else at a random id.
std::string generate_lookup(store const& db, column const& c, std::mt19937_64& rng) {
  auto const& target = c.targets[rng() % c.targets.size()];
  if (c.type == column_type::owner)
    return lookup_cell(owner_pool[rng() % std::size(owner_pool)], target.logical_name);
  guid const probe = guid::random(rng);
  if (table const* t = db.find(target.entity_set); t && !t->rows().empty()) {
    auto it = t->rows().lower_bound(probe);
    if (it == t->rows().end()) it = t->rows().begin();
    return lookup_cell(it->first.str(), target.logical_name);
  }
  return lookup_cell(probe.str(), target.logical_name);
}

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// One generated value; `n` is the table's sequence number, unique per generated row or update,
// which keeps generated alternate keys distinct.
std::string generate(store const& db, table_schema const& t, std::size_t column, std::int64_t n, std::int64_t now,
                     std::mt19937_64& rng) {
  auto const& c = t.columns[column];
  bool const may_be_null = !c.required && !in_key(t, column) && c.type != column_type::state &&
                           c.type != column_type::status && c.type != column_type::owner;
  if (c.type == column_type::file) return std::string(null_cell);  // files are uploaded, never written
  if (c.type == column_type::image && rng() % 10 != 0) return std::string(null_cell);
  if (may_be_null && rng() % 20 == 0) return std::string(null_cell);  // some nulls, as real data has
  switch (c.type) {
    case column_type::string:
    case column_type::memo: {
      std::string value(short_name(c.name));
      value += '-';
      append_int(value, n);
      if (c.type == column_type::memo) value += "\nGenerated text, line 2.";
      if (value.size() > static_cast<std::size_t>(c.max_length))
        value.erase(0, value.size() - static_cast<std::size_t>(c.max_length));
      return quoted(value);
    }
    case column_type::integer:
    case column_type::bigint: {
      std::int64_t const lo = std::max<std::int64_t>(c.min_value, 0);
      std::int64_t const hi = std::min<std::int64_t>(c.max_value, c.type == column_type::bigint ? 1000000000000 : 1000000);
      if (lo > hi) return std::to_string(c.min_value);
      return std::to_string(lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1)));
    }
    case column_type::double_:
    case column_type::decimal:
    case column_type::money:
      return generate_number(c, rng);
    case column_type::boolean:
      return rng() % 2 ? "true" : "false";
    case column_type::datetime: {
      std::string iso;
      if (c.is_date_only()) {
        append_iso_time(iso, now - static_cast<std::int64_t>(rng() % (50 * 365)) * 86400);
        return quoted(iso.substr(0, 10));
      }
      append_iso_time(iso, now - static_cast<std::int64_t>(rng() % (365 * 86400)));
      return quoted(iso);
    }
    case column_type::uniqueidentifier:
      return quoted(guid::random(rng).str());
    case column_type::lookup:
    case column_type::customer:
    case column_type::owner:
      return generate_lookup(db, c, rng);
    case column_type::picklist:
    case column_type::state:
    case column_type::status: {
      auto const& options = c.options->options;
      return std::to_string(options[rng() % options.size()].value);
    }
    case column_type::multiselect: {
      auto const& options = c.options->options;
      std::vector<int> chosen;
      std::size_t const count = 1 + rng() % std::min<std::size_t>(3, options.size());
      while (chosen.size() < count) {
        int const v = options[rng() % options.size()].value;
        if (std::find(chosen.begin(), chosen.end(), v) == chosen.end()) chosen.push_back(v);
      }
      std::sort(chosen.begin(), chosen.end());
      std::string text;
      for (auto const v : chosen) text += (text.empty() ? "" : ",") + std::to_string(v);
      return quoted(text);
    }
    case column_type::image:
      return quoted("iVBORw0KGgo=");  // the PNG signature, base64: a stand-in for a thumbnail
    case column_type::file:
      break;
  }
  return std::string(null_cell);
}

// A status that belongs to the generated state, as Dataverse allows no other pair.
void match_status_to_state(table_schema const& t, std::vector<std::string>& values) {
  std::optional<int> state;
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].type == column_type::state && values[i] != null_cell) state = std::stoi(values[i]);
  if (!state) return;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i].type != column_type::status) continue;
    for (auto const& o : t.columns[i].options->options)
      if (o.state == state) {
        values[i] = std::to_string(o.value);
        break;
      }
  }
}

// Inserts one generated row with sequence number `n` at `id` or the next free id after it,
// retrying with a new sequence number if a key value is taken (a client may have written
// "bookcode-12" itself). `hint` is rows().lower_bound(id) and stays so for the next id:
// consecutive ids insert in O(1).
void insert_generated(store& db, table& t, std::int64_t now, std::mt19937_64& rng, guid& id,
                      table::row_map::const_iterator& hint, std::int64_t n) {
  auto const& schema = t.schema();
  auto const& rows = t.rows();
  std::vector<std::string> values(schema.columns.size());
  for (int attempt = 0; attempt < 1000; ++attempt, n = t.next_sequence()) {
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = generate(db, schema, i, n, now, rng);
    match_status_to_state(schema, values);
    if (!t.check_keys(values, std::nullopt)) continue;
    while (hint != rows.end() && hint->first == id) {
      ++id.lo;
      ++hint;
    }
    t.insert(id, values, db.next_version(), now, hint);
    ++id.lo;
    return;
  }
  throw std::runtime_error("could not generate a row with unique keys for " + schema.entity_set);
}

// Tables seeded with the same seed must not get the same ids (a lookup would then point at a row
// of its own table's id). sample_book keeps salt 0, so its generated data is what it always was.
std::uint64_t table_salt(table const& t) {
  if (t.schema().logical_name == "sample_book") return 0;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : t.schema().logical_name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

void insert_generated_at_random(store& db, table& t, std::int64_t now, std::mt19937_64& rng) {
  guid id = guid::random(rng);
  auto hint = t.rows().lower_bound(id);
  insert_generated(db, t, now, rng, id, hint, t.next_sequence());
}

}  // namespace

void seed_sample_books(store& db, table& t, write_rules const& rules, std::mt19937_64& rng) {
  for (int i = 0; i < 10; ++i) {
    std::string const n = std::to_string(i);
    std::string const body = R"({"sample_name":"Demo Book )" + n + R"(","sample_bookcode":"BookCode)" + n +
                             R"(","sample_author":"Author)" + n + R"("})";
    auto const id = create_row(db, t, {body, std::nullopt, {}}, rules, rng);
    if (!id && id.error().code != "0x80060892") throw std::invalid_argument(id.error().message);
  }
}

void seed_rows(store& db, table& t, std::int64_t count, std::uint64_t seed, seed_order order) {
  if (count < 0) throw std::invalid_argument("the row count must not be negative");
  // Mixing in the sequence makes a second seed with the same number add different rows.
  std::mt19937_64 rng(seed ^ table_salt(t) ^ (static_cast<std::uint64_t>(t.next_sequence()) * 0x9e3779b97f4a7c15ULL));
  std::int64_t const now = db.now();
  t.reserve_keys(static_cast<std::size_t>(count));
  // Seeded ids ascend from a random start, like the sequential GUIDs Dataverse's database hands
  // out; inserting them in order keeps a million-row seed to seconds.
  guid id = guid::random(rng);
  auto hint = t.rows().lower_bound(id);
  if (order == seed_order::ascending) {
    for (std::int64_t i = 0; i < count; ++i) insert_generated(db, t, now, rng, id, hint, t.next_sequence());
    return;
  }
  // Shuffled: the rows take the next `count` sequence numbers in a random order, so their text
  // (alternate keys included) is as unique as in id order but unrelated to it. Our own loop rather
  // than std::shuffle, whose draws the standard leaves to the library: same seed, same rows.
  if (count == 0) return;
  std::vector<std::int64_t> numbers(static_cast<std::size_t>(count));
  for (auto& n : numbers) n = t.next_sequence();
  for (std::size_t i = numbers.size() - 1; i > 0; --i) std::swap(numbers[i], numbers[rng() % (i + 1)]);
  for (auto const n : numbers) insert_generated(db, t, now, rng, id, hint, n);
}

mutation_result mutate_rows(store& db, table& t, double fraction, std::uint64_t seed, double create_share,
                            double update_share, double delete_share) {
  if (!(fraction >= 0) || !std::isfinite(fraction)) throw std::invalid_argument("fraction must be a number >= 0");
  if (!(create_share >= 0) || !(update_share >= 0) || !(delete_share >= 0) ||
      !std::isfinite(create_share + update_share + delete_share) || create_share + update_share + delete_share <= 0)
    throw std::invalid_argument("the shares must be >= 0 and not all 0");
  auto const& schema = t.schema();
  auto const rows = static_cast<std::int64_t>(t.rows().size());
  auto const total = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(rows)));
  double const sum = create_share + update_share + delete_share;
  mutation_result plan;
  plan.updated =
      std::min(rows, static_cast<std::int64_t>(std::llround(static_cast<double>(total) * update_share / sum)));
  plan.deleted = std::min(rows - plan.updated,
                          static_cast<std::int64_t>(std::llround(static_cast<double>(total) * delete_share / sum)));
  plan.created = std::max<std::int64_t>(0, total - plan.updated - plan.deleted);
  if (create_share == 0) plan.created = 0;

  std::mt19937_64 rng(seed ^ table_salt(t) ^ (static_cast<std::uint64_t>(t.next_sequence()) * 0x9e3779b97f4a7c15ULL));
  // Distinct rows to touch: a partial Fisher-Yates shuffle of the ids.
  std::vector<guid> ids;
  ids.reserve(static_cast<std::size_t>(rows));
  for (auto const& [id, r] : t.rows()) ids.push_back(id);
  auto const touched = static_cast<std::size_t>(plan.updated + plan.deleted);
  for (std::size_t i = 0; i < touched; ++i) {
    std::size_t const j = i + static_cast<std::size_t>(rng() % (ids.size() - i));
    std::swap(ids[i], ids[j]);
  }
  std::int64_t const now = db.now();
  for (std::size_t i = 0; i < static_cast<std::size_t>(plan.updated); ++i) {
    std::vector<std::string> values = row_values(*t.find(ids[i]));
    std::int64_t const n = t.next_sequence();
    // Keys stay as they are, so an update never collides; every other column gets a new value.
    for (std::size_t c = 0; c < values.size(); ++c)
      if (!in_key(schema, c)) values[c] = generate(db, schema, c, n, now, rng);
    match_status_to_state(schema, values);
    t.replace(ids[i], values, db.next_version(), now);
  }
  for (std::size_t i = static_cast<std::size_t>(plan.updated); i < touched; ++i)
    t.erase(ids[i], db.next_version(), now);
  for (std::int64_t i = 0; i < plan.created; ++i) insert_generated_at_random(db, t, now, rng);
  return plan;
}

}  // namespace emulator
