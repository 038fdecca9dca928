#include "server/control.hpp"

#include "server/form.hpp"
#include "server/headers.hpp"

#include <boost/json.hpp>

#include <array>
#include <ctime>
#include <stdexcept>

namespace emulator {
namespace {

namespace json = boost::json;

struct control_failure {
  int status;
  std::string message;
};

http_response json_reply(json::value const& v, int status = 200) {
  http_response r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"Cache-Control", "no-store"}};
  r.body = json::serialize(v);
  return r;
}

http_response failure_reply(control_failure const& f) {
  return json_reply(json::object{{"error", f.message}}, f.status);
}

json::object body_object(http_request const& r) {
  if (r.body.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  json::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec) throw control_failure{400, "the body is not JSON: " + ec.message()};
  if (!v.is_object()) throw control_failure{400, "the body must be a JSON object"};
  return std::move(v.as_object());
}

double number_field(json::object const& o, std::string_view name, std::optional<double> fallback) {
  auto const* v = o.if_contains(name);
  if (!v) {
    if (fallback) return *fallback;
    throw control_failure{400, std::string(name) + ": required"};
  }
  if (!v->is_number()) throw control_failure{400, std::string(name) + ": expected a number"};
  return v->to_number<double>();
}

std::int64_t integer_field(json::object const& o, std::string_view name, std::optional<std::int64_t> fallback) {
  auto const* v = o.if_contains(name);
  if (!v) {
    if (fallback) return *fallback;
    throw control_failure{400, std::string(name) + ": required"};
  }
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  throw control_failure{400, std::string(name) + ": expected an integer"};
}

std::string string_field(json::object const& o, std::string_view name, std::string fallback) {
  auto const* v = o.if_contains(name);
  if (!v) return fallback;
  if (!v->is_string()) throw control_failure{400, std::string(name) + ": expected a string"};
  return std::string(v->as_string());
}

std::string iso_utc(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

void require_method(http_request const& r, std::string_view method) {
  if (r.method != method) throw control_failure{405, "use " + std::string(method) + " for this endpoint"};
}

}  // namespace

control_api::control_api(web_api& api, token_issuer& tokens, fault_script& faults, request_stats& stats)
    : api_(api), tokens_(tokens), faults_(faults), stats_(stats) {}

http_response control_api::handle(http_request const& r) {
  auto path = path_of(r.target);
  auto query = r.target.size() > path.size() ? std::string_view(r.target).substr(path.size() + 1) : std::string_view{};
  constexpr std::string_view prefix = "/_emulator/";
  auto endpoint = path.starts_with(prefix) ? path.substr(prefix.size()) : std::string_view{};
  try {
    if (endpoint == "health") {
      require_method(r, "GET");
      json::array sets;
      for (auto const& s : api_.entity_sets()) sets.push_back(json::string(s));
      return json_reply(json::object{{"status", "ok"},
                                     {"entity_sets", std::move(sets)},
                                     {"current_version", api_.current_version()},
                                     {"retention_days", api_.retention_days()},
                                     {"now", iso_utc(api_.now())}});
    }
    if (endpoint == "reset") {
      require_method(r, "POST");
      api_.reset();
      return json_reply(json::object{{"reset", true}});
    }
    if (endpoint == "seed") {
      require_method(r, "POST");
      auto o = body_object(r);
      auto set = string_field(o, "entity_set", "sample_books");
      if (auto const* s = o.if_contains("sample"); s && s->is_bool() && s->as_bool()) {
        api_.seed_sample();
      } else {
        auto count = integer_field(o, "count", std::nullopt);
        auto seed = integer_field(o, "seed", 1);
        auto order = string_field(o, "order", "ascending");
        if (count < 0) throw control_failure{400, "count: must not be negative"};
        if (order != "ascending" && order != "shuffled")
          throw control_failure{400, "order: expected \"ascending\" or \"shuffled\""};
        api_.seed(set, count, static_cast<std::uint64_t>(seed),
                  order == "shuffled" ? seed_order::shuffled : seed_order::ascending);
      }
      return json_reply(json::object{{"entity_set", set}, {"rows", api_.row_count(set)}});
    }
    if (endpoint == "mutate") {
      require_method(r, "POST");
      auto o = body_object(r);
      auto set = string_field(o, "entity_set", "sample_books");
      auto fraction = number_field(o, "fraction", std::nullopt);
      auto seed = integer_field(o, "seed", 1);
      auto counts = api_.mutate(set, fraction, static_cast<std::uint64_t>(seed), number_field(o, "create", 0.2),
                                number_field(o, "update", 0.7), number_field(o, "delete", 0.1));
      return json_reply(json::object{{"entity_set", set},
                                     {"created", counts.created},
                                     {"updated", counts.updated},
                                     {"deleted", counts.deleted},
                                     {"rows", api_.row_count(set)}});
    }
    if (endpoint == "columns") {
      require_method(r, "POST");
      auto o = body_object(r);
      auto set = string_field(o, "entity_set", "");
      if (set.empty()) throw control_failure{400, "entity_set: required"};
      auto const* add = o.if_contains("add");
      auto const* remove = o.if_contains("remove");
      if ((add == nullptr) == (remove == nullptr)) throw control_failure{400, "give exactly one of 'add' and 'remove'"};
      if (add) {
        if (!add->is_object()) throw control_failure{400, "add: expected a column object"};
        api_.add_column(set, json::serialize(*add));
      } else {
        if (!remove->is_string()) throw control_failure{400, "remove: expected a column name"};
        api_.remove_column(set, std::string(remove->as_string()));
      }
      json::array names;
      for (auto const& n : api_.column_names(set)) names.push_back(json::string(n));
      return json_reply(json::object{{"entity_set", set}, {"columns", std::move(names)}});
    }
    if (endpoint == "remove-table") {
      require_method(r, "POST");
      auto set = string_field(body_object(r), "entity_set", "");
      if (set.empty()) throw control_failure{400, "entity_set: required"};
      api_.remove_table(set);
      json::array sets;
      for (auto const& s : api_.entity_sets()) sets.push_back(json::string(s));
      return json_reply(json::object{{"removed", set}, {"entity_sets", std::move(sets)}});
    }
    if (endpoint == "expire-tokens") {
      require_method(r, "POST");
      api_.expire_tokens();
      return json_reply(json::object{{"expired", true}});
    }
    if (endpoint == "advance-clock") {
      require_method(r, "POST");
      auto seconds = integer_field(body_object(r), "seconds", std::nullopt);
      if (seconds < 0) throw control_failure{400, "seconds: the clock only moves forward"};
      api_.advance_clock(std::chrono::seconds(seconds));
      return json_reply(json::object{{"now", iso_utc(api_.now())}});
    }
    if (endpoint == "retention-days") {
      require_method(r, "POST");
      api_.set_retention_days(static_cast<int>(integer_field(body_object(r), "days", std::nullopt)));
      return json_reply(json::object{{"retention_days", api_.retention_days()}});
    }
    if (endpoint == "revoke-tokens") {
      require_method(r, "POST");
      auto revoked = tokens_.live_tokens();
      tokens_.revoke_all();
      return json_reply(json::object{{"revoked", revoked}});
    }
    if (endpoint == "tokens") {
      require_method(r, "GET");
      json::array issued;
      for (auto const& t : tokens_.issued()) issued.push_back(json::string(t));
      return json_reply(json::object{{"issued", std::move(issued)}});
    }
    if (endpoint == "faults") {
      if (r.method == "GET") return json_reply(json::parse(faults_.report()));
      if (r.method == "DELETE") {
        faults_.clear();
        return json_reply(json::parse(faults_.report()));
      }
      require_method(r, "POST");
      if (auto error = faults_.load(r.body)) throw control_failure{400, *error};
      return json_reply(json::parse(faults_.report()));
    }
    if (endpoint == "stats") {
      require_method(r, "GET");
      return json_reply(json::parse(stats_.report()));
    }
    if (endpoint == "stats/reset") {
      require_method(r, "POST");
      stats_.reset();
      return json_reply(json::parse(stats_.report()));
    }
    if (endpoint == "rows") {
      require_method(r, "GET");
      auto set = form_field(query, "entity_set").value_or("sample_books");
      http_response out;
      out.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"Cache-Control", "no-store"}};
      out.body = api_.dump(set);
      return out;
    }
    throw control_failure{404, "no control endpoint '" + std::string(path) + "'"};
  } catch (control_failure const& f) {
    return failure_reply(f);
  } catch (std::invalid_argument const& e) {
    return failure_reply({400, e.what()});
  } catch (std::exception const& e) {
    return failure_reply({500, e.what()});
  }
}

}  // namespace emulator
