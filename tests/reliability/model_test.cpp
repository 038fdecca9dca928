// T3 of the reliability plan: model-based random testing. Each seed drives a random sequence of
// source changes (creates, updates, deletes, key changes, key swaps and rotations, rows created
// and deleted between polls, ids re-created, keys emptied and restored), delta-token expiry and
// crashes at random crash points (with more changes while the cycle is interrupted, and crashes
// during recovery); after every cycle the mirror must equal the emulator's table.
//
// Seeds are 1..N (10 in the short form, 200 in the long one); DVSYNC_MODEL_SEED=<n> replays one.
#include "reliability.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <cstdlib>
#include <random>

namespace dvsync::test {
namespace {

struct book {
  std::optional<std::string> key;  // nullopt: keyless (kept in dvsync_rejects)
};

// What the test knows of the source, enough to generate valid changes. The emulator stays the
// truth the mirror is compared with.
class source_model {
 public:
  explicit source_model(std::uint64_t seed) : seed_(seed), rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::string fresh_key() { return fmt::format("S{}K{}", seed_, next_key_++); }
  // A key that a deleted or re-keyed row left free, or a fresh one.
  std::string some_free_key() {
    if (!freed_keys_.empty() && chance(0.5)) {
      auto i = static_cast<std::size_t>(between(0, static_cast<int>(freed_keys_.size()) - 1));
      auto k = freed_keys_[i];
      freed_keys_.erase(freed_keys_.begin() + static_cast<std::ptrdiff_t>(i));
      return k;
    }
    return fresh_key();
  }
  void free_key(std::optional<std::string> const& k) {
    if (k) freed_keys_.push_back(*k);
  }
  // A freed key taken for a new row by the test itself.
  void take_key(std::string const& k) { std::erase(freed_keys_, k); }

  std::string text(std::string_view what) {
    switch (between(0, 5)) {
      case 0: return fmt::format("{} {} Ünïcødé ✓ 📚", what, between(0, 99999));
      case 1: return fmt::format("{} O'Brien \"quoted\" \\ {}", what, between(0, 99999));
      case 2: return std::string(100, static_cast<char>('a' + between(0, 25)));  // the column's max length
      default: return fmt::format("{} {}", what, between(0, 99999));
    }
  }

  // Live rows in a stable order, so that a seed replays the same choices whatever ids are issued.
  std::vector<std::string> order;
  std::map<std::string, book> live;
  std::vector<std::string> gone;  // deleted ids, for re-creating with the same id

  std::optional<std::string> pick(bool keyed_only = false) {
    std::vector<std::string> candidates;
    for (auto const& id : order)
      if (!keyed_only || live[id].key) candidates.push_back(id);
    if (candidates.empty()) return std::nullopt;
    return candidates[static_cast<std::size_t>(between(0, static_cast<int>(candidates.size()) - 1))];
  }
  void add(std::string const& id, std::optional<std::string> key) {
    order.push_back(id);
    live[id] = book{std::move(key)};
  }
  void remove(std::string const& id) {
    free_key(live[id].key);
    live.erase(id);
    std::erase(order, id);
    gone.push_back(id);
  }

 private:
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  int next_key_ = 0;
  std::vector<std::string> freed_keys_;
};

class model_test : public reliability_test {
 protected:
  void expect_204(http_reply const& r, std::string const& what) {
    if (r.status != 204) throw std::runtime_error(fmt::format("{}: HTTP {}: {}", what, r.status, r.body));
  }

  std::string create(source_model& m, std::optional<std::string> id = std::nullopt) {
    boost::json::object body{{"sample_name", m.text("Book")}, {"sample_bookcode", m.some_free_key()}};
    if (m.chance(0.7)) body["sample_author"] = m.text("Author");
    if (id) body["sample_bookid"] = *id;
    auto r = api("POST", "sample_books", boost::json::serialize(body));
    expect_204(r, "create");
    auto location = r.header("OData-EntityId").value_or("");
    auto open = location.rfind('('), close = location.rfind(')');
    if (open == std::string::npos || close == std::string::npos) throw std::runtime_error("no OData-EntityId: " + location);
    auto new_id = location.substr(open + 1, close - open - 1);
    m.add(new_id, std::string(body["sample_bookcode"].as_string()));
    return new_id;
  }

  void patch(std::string const& id, boost::json::object const& body) {
    expect_204(api("PATCH", "sample_books(" + id + ")", boost::json::serialize(body)), "update " + id);
  }

  void set_key(source_model& m, std::string const& id, std::optional<std::string> key, bool empty_string = false) {
    boost::json::object body;
    if (key) body["sample_bookcode"] = *key;
    else if (empty_string) body["sample_bookcode"] = "";
    else body["sample_bookcode"] = nullptr;
    patch(id, body);
    m.live[id].key = std::move(key);
  }

  void remove(source_model& m, std::string const& id) {
    expect_204(api("DELETE", "sample_books(" + id + ")"), "delete " + id);
    m.remove(id);
  }

  // Moves the keys of `ids` one step round (a swap for two rows) through a temporary key, as
  // an application renumbering rows would.
  void rotate_keys(source_model& m, std::vector<std::string> const& ids) {
    std::vector<std::optional<std::string>> keys;
    for (auto const& id : ids) keys.push_back(m.live[id].key);
    set_key(m, ids[0], m.fresh_key());
    for (std::size_t i = 1; i < ids.size(); ++i) set_key(m, ids[i], keys[i - 1]);
    m.free_key(m.live[ids[0]].key);
    set_key(m, ids[0], keys.back());
  }

  // One random change of the source; returns its name for the log.
  std::string random_change(source_model& m) {
    int const kind = m.between(0, 11);
    auto target = m.pick();
    if (!target && kind != 0) return random_change(m);
    switch (kind) {
      case 0: create(m); return "create";
      case 1:
      case 2: {
        boost::json::object body{{"sample_name", m.text("Renamed")}};
        if (m.chance(0.3)) body["sample_author"] = nullptr;
        patch(*target, body);
        return "update";
      }
      case 3: remove(m, *target); return "delete";
      case 4: {
        auto old = m.live[*target].key;
        set_key(m, *target, m.some_free_key());
        m.free_key(old);
        return "key_change";
      }
      case 5:
      case 6: {
        auto a = m.pick(true), b = m.pick(true);
        if (!a || !b || *a == *b) return "swap_skipped";
        rotate_keys(m, {*a, *b});
        return "key_swap";
      }
      case 7: {
        auto a = m.pick(true), b = m.pick(true), c = m.pick(true);
        if (!a || !b || !c || *a == *b || *b == *c || *a == *c) return "rotate_skipped";
        rotate_keys(m, {*a, *b, *c});
        return "key_rotation";
      }
      case 8: remove(m, create(m)); return "create_then_delete";
      case 9: {
        if (m.gone.empty()) return "recreate_skipped";
        auto i = static_cast<std::size_t>(m.between(0, static_cast<int>(m.gone.size()) - 1));
        auto id = m.gone[i];
        m.gone.erase(m.gone.begin() + static_cast<std::ptrdiff_t>(i));
        create(m, id);
        return "recreate_same_id";
      }
      case 10: {
        auto old = m.live[*target].key;
        if (!old) {
          set_key(m, *target, m.some_free_key());
          return "key_restored";
        }
        set_key(m, *target, std::nullopt, m.chance(0.5));
        m.free_key(old);
        return "key_removed";
      }
      default: {
        // A delete and a new row under the same key, between two polls.
        auto old = m.live[*target].key;
        if (!old) return "replace_skipped";
        remove(m, *target);
        m.take_key(*old);
        boost::json::object body{{"sample_name", m.text("Replacement")}, {"sample_bookcode", *old}};
        auto r = api("POST", "sample_books", boost::json::serialize(body));
        expect_204(r, "replace");
        auto location = r.header("OData-EntityId").value_or("");
        m.add(location.substr(location.rfind('(') + 1, location.rfind(')') - location.rfind('(') - 1), *old);
        return "delete_and_reuse_key";
      }
    }
  }

  // Runs one seed; returns the first problem found (empty when none).
  std::string run_seed(std::uint64_t seed, int steps, int& cycles, int& crashes) {
    start_emulator({"--seed", "30"});
    config_overrides o;
    o.page_size = 7;
    use_fresh_database(fmt::format("seed{}", seed), o);
    source_model m(seed);
    auto const rows = boost::json::parse(emulator_->control_get("rows?entity_set=sample_books").body);
    for (auto const& item : rows.as_array()) {
      auto const& row = item.as_object();
      m.add(std::string(row.at("id").as_string()), std::string(row.at("sample_bookcode").as_string()));
    }

    auto changes = [&](int n) {
      std::string done;
      for (int i = 0; i < n; ++i) done += random_change(m) + " ";
      return done;
    };
    // `source_settled`: the source did not change since the cycle began. A read that spans changes
    // may show some of them (Dataverse pages are not a snapshot), so only then is the mirror after a
    // crash exactly the previous cycle's or the source's.
    auto crash = [&](std::string const& when, bool source_settled) -> std::string {
      auto const& points = crash_point_names();
      auto point = points[static_cast<std::size_t>(m.between(0, static_cast<int>(points.size()) - 1))];
      int n = m.between(1, 4);
      // Before the first cycle there is no database yet: a reader would see nothing.
      auto before = std::filesystem::exists(db_path_) ? mirror() : row_set{};
      auto r = dvsync({"once"}, {{"DVSYNC_CRASH_AT", fmt::format("{}:{}", point, n)}});
      std::printf("  %s crash at %s:%d -> %s\n", when.c_str(), point.c_str(), n, r.signal ? "killed" : "not reached");
      if (r.signal == SIGKILL) {
        ++crashes;
        auto now = mirror();
        if (source_settled && !compare(before, now).empty() && !compare(source(), now).empty())
          return fmt::format("after a crash at {}:{} the mirror is neither the previous cycle's nor the source's", point, n);
        if (auto ic = integrity_check(db_path_); ic != "ok") return "integrity_check after a crash: " + ic;
      } else if (r.exit_code != 0) {
        return fmt::format("a cycle armed with {}:{} failed (exit {}): {}", point, n, r.exit_code, r.err);
      }
      return "";
    };

    for (int step = 0; step < steps; ++step) {
      std::string log = changes(m.between(0, 20));
      if (m.chance(0.15)) {
        if (emulator_->control("expire-tokens").status != 200) return "expire-tokens failed";
        log += "[delta token expired] ";
      }
      std::printf("seed %llu step %d: %s\n", static_cast<unsigned long long>(seed), step, log.c_str());
      bool changed_mid_cycle = false;
      if (crash_points_available() && m.chance(0.35)) {
        if (auto p = crash("cycle", true); !p.empty()) return fmt::format("step {}: {}", step, p);
        if (m.chance(0.5)) {
          std::printf("  while interrupted: %s\n", changes(m.between(1, 10)).c_str());
          changed_mid_cycle = true;
        }
        if (m.chance(0.25))
          if (auto p = crash("recovery", !changed_mid_cycle); !p.empty()) return fmt::format("step {}: {}", step, p);
      }
      // A cycle resumed after source changes answers for the source as of its start (a delta's
      // window is fixed at its first page): the next cycle brings the rest.
      for (int cycle = 0; cycle < (changed_mid_cycle ? 2 : 1); ++cycle) {
        auto r = once();
        ++cycles;
        if (r.exit_code != 0) return fmt::format("step {}: the cycle failed (exit {}): {}", step, r.exit_code, r.err);
      }
      if (auto p = compare_with_source(); !p.empty()) return fmt::format("step {}: {}", step, p);
    }
    return check_converged();
  }
};

TEST_F(model_test, random_changes_expiry_and_crashes_keep_the_mirror_equal_to_the_source) {
  std::vector<std::uint64_t> seeds;
  if (char const* one = std::getenv("DVSYNC_MODEL_SEED")) {
    seeds.push_back(std::strtoull(one, nullptr, 10));
  } else {
    for (int s = 1; s <= scaled(10, 200); ++s) seeds.push_back(static_cast<std::uint64_t>(s));
  }
  int const steps = scaled(8, 15);
  int passed = 0, cycles = 0, crashes = 0;
  std::vector<std::uint64_t> failed;
  auto started = std::chrono::steady_clock::now();
  for (auto seed : seeds) {
    std::string problem;
    try {
      problem = run_seed(seed, steps, cycles, crashes);
    } catch (std::exception const& e) {
      problem = e.what();
    }
    if (problem.empty()) {
      ++passed;
    } else {
      failed.push_back(seed);
      ADD_FAILURE() << "seed " << seed << ": " << problem << "\nreplay with DVSYNC_MODEL_SEED=" << seed;
    }
  }
  std::string failing;
  for (auto s : failed) failing += (failing.empty() ? "" : ",") + std::to_string(s);
  report_figure("T3", "seeds_passed", fmt::format("{}/{}", passed, seeds.size()),
                fmt::format("{}_steps_each,{}_cycles,{}_crashes,{}s", steps, cycles, crashes,
                            static_cast<int>(seconds_since(started))));
  if (!failed.empty()) report_figure("T3", "failing_seeds", failing, "replay_with_DVSYNC_MODEL_SEED");
}

}  // namespace
}  // namespace dvsync::test
