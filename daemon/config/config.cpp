#include "config/config.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>

namespace dvsync::config {
namespace json = boost::json;
namespace {

constexpr std::size_t max_file_size = 1 << 20;  // a config is a few hundred bytes; refuse surprises

std::string member_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, std::size_t index) { return fmt::format("{}[{}]", parent, index); }

const char* kind_name(json::kind k) {
  switch (k) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// The DOM keeps only the last of two equal keys, so a repeated key would silently override the
// first. This SAX pass finds repeats with their paths before the DOM is built.
class duplicate_key_finder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<problem> found;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    frames_.push_back(frame{true, 0, {}, {}});
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    frames_.pop_back();
    value_done();
    return true;
  }
  bool on_array_begin(json::error_code&) {
    frames_.push_back(frame{false, 0, {}, {}});
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    frames_.pop_back();
    value_done();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    partial_key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    partial_key_.append(s.data(), s.size());
    frame& f = frames_.back();
    if (std::find(f.keys.begin(), f.keys.end(), partial_key_) != f.keys.end())
      found.push_back({member_path(parent_path(), partial_key_), "key appears more than once"});
    else
      f.keys.push_back(partial_key_);
    f.key = std::move(partial_key_);
    partial_key_.clear();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return value_done(); }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return value_done(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return value_done(); }
  bool on_double(double, json::string_view, json::error_code&) { return value_done(); }
  bool on_bool(bool, json::error_code&) { return value_done(); }
  bool on_null(json::error_code&) { return value_done(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct frame {
    bool is_object;
    std::size_t elements_done;  // arrays: index of the element being read
    std::string key;            // objects: key of the member being read
    std::vector<std::string> keys;
  };

  bool value_done() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().elements_done;
    return true;
  }

  // Path of the innermost object, the one whose key is being checked.
  std::string parent_path() const {
    std::string path;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i)
      path = frames_[i].is_object ? member_path(path, frames_[i].key) : index_path(path, frames_[i].elements_done);
    return path;
  }

  std::vector<frame> frames_;
  std::string partial_key_;
};

std::vector<problem> find_duplicate_keys(std::string_view text) {
  json::basic_parser<duplicate_key_finder> p(json::parse_options{});
  json::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  // Syntax errors are reported by the DOM parse; what was found before one is still valid.
  return std::move(p.handler().found);
}

bool is_loopback(boost::urls::url_view const& u) {
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4: return (u.host_ipv4_address().to_uint() >> 24) == 127;
    case boost::urls::host_type::ipv6: return u.host_ipv6_address().is_loopback();
    case boost::urls::host_type::name: return lower(u.encoded_host()) == "localhost";
    default: return false;
  }
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n >= 1 && n <= 65535;
}

// Reads the fields of the document one by one and records every problem instead of stopping.
class reader {
 public:
  std::vector<problem> problems;

  void add(std::string path, std::string message) { problems.push_back({std::move(path), std::move(message)}); }

  void only_keys(json::object const& o, std::string_view path, std::initializer_list<std::string_view> known) {
    for (auto const& member : o) {
      std::string_view key = member.key();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      if (key == "client_secret") {
        add(member_path(path, key),
            "unknown key: secrets never go in the config file; use DVSYNC_CLIENT_SECRET, "
            "$CREDENTIALS_DIRECTORY/client_secret or auth.client_secret_file");
        continue;
      }
      add(member_path(path, key), fmt::format("unknown key (expected one of: {})", fmt::join(known, ", ")));
    }
  }

  // A nested object; nullptr when it is absent (a problem if required) or not an object.
  json::object const* section(json::object const& o, std::string_view key, std::string_view path, bool required) {
    json::value const* v = o.if_contains(key);
    if (!v) {
      if (required) add(member_path(path, key), "is required");
      return nullptr;
    }
    if (!v->is_object()) {
      add(member_path(path, key), fmt::format("must be an object, not {}", kind_name(v->kind())));
      return nullptr;
    }
    return &v->get_object();
  }

  enum class presence { required, optional, nullable };

  // A non-empty string. `nullable` keys treat null like an absent key.
  std::optional<std::string> text(json::object const& o, std::string_view key, std::string_view path, presence p) {
    json::value const* v = o.if_contains(key);
    if (!v || (v->is_null() && p == presence::nullable)) {
      if (p == presence::required) add(member_path(path, key), "is required");
      return std::nullopt;
    }
    if (!v->is_string()) {
      add(member_path(path, key), fmt::format("must be a string, not {}", kind_name(v->kind())));
      return std::nullopt;
    }
    if (v->get_string().empty()) {
      add(member_path(path, key), p == presence::nullable ? "must not be empty (omit the key or use null for none)"
                                                          : "must not be empty");
      return std::nullopt;
    }
    return std::string(v->get_string());
  }

  // One of a fixed set of strings.
  std::optional<std::string> choice(json::object const& o, std::string_view key, std::string_view path,
                                    std::initializer_list<std::string_view> allowed) {
    auto s = text(o, key, path, presence::optional);
    if (!s) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *s) != allowed.end()) return s;
    std::string names;
    for (std::string_view a : allowed) names += names.empty() ? fmt::format("\"{}\"", a) : fmt::format(", \"{}\"", a);
    add(member_path(path, key), fmt::format("must be one of {}, not \"{}\"", names, *s));
    return std::nullopt;
  }

  // true or false; nullopt when absent or invalid.
  std::optional<bool> flag(json::object const& o, std::string_view key, std::string_view path) {
    json::value const* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_bool()) return v->get_bool();
    add(member_path(path, key), fmt::format("must be true or false, not {}", kind_name(v->kind())));
    return std::nullopt;
  }

  // An integer within [min, max]; nullopt when absent (the caller keeps its default) or invalid.
  std::optional<std::int64_t> integer(json::object const& o, std::string_view key, std::string_view path,
                                      std::int64_t min, std::int64_t max) {
    json::value const* v = o.if_contains(key);
    if (!v) return std::nullopt;
    auto range = [&] { return fmt::format("an integer from {} to {}", min, max); };
    std::int64_t n = 0;
    if (v->is_int64()) {
      n = v->get_int64();
    } else if (v->is_uint64()) {
      add(member_path(path, key), fmt::format("must be {}", range()));
      return std::nullopt;
    } else if (v->is_double()) {
      add(member_path(path, key), fmt::format("must be {}, written without a decimal point or exponent", range()));
      return std::nullopt;
    } else {
      add(member_path(path, key), fmt::format("must be {}, not {}", range(), kind_name(v->kind())));
      return std::nullopt;
    }
    if (n < min || n > max) {
      add(member_path(path, key), fmt::format("must be {}, not {}", range(), n));
      return std::nullopt;
    }
    return n;
  }

  // A name that will be spliced into SQL or a URL path.
  std::optional<std::string> identifier(json::value const& v, std::string const& path) {
    if (!v.is_string()) {
      add(path, fmt::format("must be a string, not {}", kind_name(v.kind())));
      return std::nullopt;
    }
    std::string_view s = v.get_string();
    if (!is_identifier(s)) {
      add(path, s.empty() ? std::string("must not be empty")
                          : fmt::format("\"{}\" is not a valid identifier: use ^[A-Za-z_][A-Za-z0-9_]{{0,127}}$", s));
      return std::nullopt;
    }
    if (starts_with_ci(s, "dvsync_")) {
      add(path, fmt::format("\"{}\" starts with dvsync_, which is reserved for dvsync's own tables and columns", s));
      return std::nullopt;
    }
    return std::string(s);
  }

  std::optional<std::string> identifier(json::object const& o, std::string_view key, std::string_view path) {
    json::value const* v = o.if_contains(key);
    if (!v) {
      add(member_path(path, key), "is required");
      return std::nullopt;
    }
    return identifier(*v, member_path(path, key));
  }

  // An absolute http(s) URL without query or fragment, returned without its trailing slash.
  std::optional<std::string> endpoint(json::object const& o, std::string_view key, std::string_view path,
                                      presence p) {
    auto s = text(o, key, path, p);
    if (!s) return std::nullopt;
    std::string field = member_path(path, key);
    auto parsed = boost::urls::parse_uri(*s);
    if (!parsed) {
      add(field, fmt::format("\"{}\" is not an absolute URL such as https://contoso.crm.dynamics.com", *s));
      return std::nullopt;
    }
    boost::urls::url_view const& u = *parsed;
    // Boost.URL 1.81 reads "https://10.0.0.1.example.com" as host 10.0.0.1 with path
    // ".example.com"; after an authority, a path must start with '/'.
    if (u.has_authority() && !u.encoded_path().empty() && !u.encoded_path().starts_with('/')) {
      add(field, fmt::format("\"{}\" is not a valid URL", *s));
      return std::nullopt;
    }
    std::size_t before = problems.size();
    if (u.scheme_id() != boost::urls::scheme::https && u.scheme_id() != boost::urls::scheme::http) {
      add(field, fmt::format("must be an https:// URL, not {}://", u.scheme()));
    } else if (!u.has_authority() || u.encoded_host().empty()) {
      add(field, "must name a host");
    } else if (u.scheme_id() == boost::urls::scheme::http && !is_loopback(u)) {
      add(field, "must use https:// (http:// is accepted only for loopback hosts: 127.0.0.0/8, ::1, localhost)");
    }
    if (u.has_userinfo()) add(field, "must not contain a user name or password");
    if (u.has_port() && !valid_port(u.port())) add(field, fmt::format("has an invalid port \"{}\"", u.port()));
    if (u.has_query()) add(field, "must not have a query (?...)");
    if (u.has_fragment()) add(field, "must not have a fragment (#...)");
    if (problems.size() != before) return std::nullopt;
    while (!s->empty() && s->back() == '/') s->pop_back();
    // Scheme and host are case-insensitive (RFC 3986 §6.2.2.1), but the token scope
    // `<dataverse.url>/.default` is compared as text: `HTTPS://Org.crm.dynamics.com` passed this
    // check and then failed at the token endpoint. Keep the normalised lower-case form.
    auto const authority_end = s->find('/', u.scheme().size() + 3);
    std::string const origin = lower(std::string_view(*s).substr(0, authority_end));
    s->replace(0, origin.size(), origin);
    return s;
  }

  std::optional<std::string> listen_address(json::object const& o, std::string_view key, std::string_view path) {
    auto s = text(o, key, path, presence::nullable);
    if (!s) return std::nullopt;
    std::string_view host, port;
    std::string_view all = *s;
    if (all.starts_with('[')) {
      auto close = all.find("]:");
      if (close != std::string_view::npos) {
        host = all.substr(1, close - 1);
        port = all.substr(close + 2);
      }
    } else if (auto colon = all.rfind(':'); colon != std::string_view::npos) {
      host = all.substr(0, colon);
      port = all.substr(colon + 1);
    }
    if (host.empty() || host.find_first_of(" /[]") != std::string_view::npos ||
        (!all.starts_with('[') && host.find(':') != std::string_view::npos) || !(port == "0" || valid_port(port))) {
      add(member_path(path, key), fmt::format("\"{}\" must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464", all));
      return std::nullopt;
    }
    return s;
  }
};

// A list of column names (`columns`, `exclude_columns`): identifiers, unique ignoring case.
std::vector<std::string> read_column_list(reader& r, json::value const& v, std::string const& path) {
  std::vector<std::string> out;
  if (!v.is_array()) {
    r.add(path, fmt::format("must be an array of column names, not {}", kind_name(v.kind())));
    return out;
  }
  json::array const& a = v.get_array();
  std::vector<std::size_t> positions;  // JSON index of each accepted column, for messages
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string column_path = index_path(path, i);
    auto name = r.identifier(a[i], column_path);
    if (!name) continue;
    // SQLite compares identifiers case-insensitively, so Name and name would collide.
    auto same = std::find_if(out.begin(), out.end(), [&](std::string const& c) { return lower(c) == lower(*name); });
    if (same != out.end()) {
      r.add(column_path, fmt::format("duplicates {}[{}] (\"{}\")", path, positions[same - out.begin()], *same));
      continue;
    }
    out.push_back(*name);
    positions.push_back(i);
  }
  return out;
}

std::optional<std::string> optional_identifier(reader& r, json::object const& o, std::string_view key,
                                               std::string const& path) {
  if (!o.contains(key)) return std::nullopt;
  return r.identifier(o, key, path);
}

table_config read_table(reader& r, json::value const& v, std::string const& path) {
  table_config t;
  if (!v.is_object()) {
    r.add(path, fmt::format("must be an object, not {}", kind_name(v.kind())));
    return t;
  }
  json::object const& o = v.get_object();
  r.only_keys(o, path, {"logical_name", "entity_set", "table", "id", "key", "columns", "exclude_columns", "interval_s",
                      "mode", "change_feed"});
  t.logical_name = optional_identifier(r, o, "logical_name", path).value_or("");
  t.entity_set = optional_identifier(r, o, "entity_set", path).value_or("");
  t.id = optional_identifier(r, o, "id", path).value_or("");
  t.key = optional_identifier(r, o, "key", path).value_or("");
  if (auto v = r.integer(o, "interval_s", path, 1, 30 * 86400)) t.interval = std::chrono::seconds(*v);
  if (auto v = r.choice(o, "mode", path, {"mirror", "soft_delete", "history"}))
    t.mode = *v == "soft_delete" ? table_mode::soft_delete : *v == "history" ? table_mode::history : table_mode::mirror;
  if (auto v = r.flag(o, "change_feed", path)) t.change_feed = *v;
  if (!o.contains("logical_name") && !o.contains("entity_set"))
    r.add(member_path(path, "logical_name"), "is required (or entity_set, for an entry that names its collection)");
  if (o.contains("table")) {
    t.table = r.identifier(o, "table", path).value_or("");
  } else if (o.contains("logical_name")) {
    t.table = t.logical_name;
  } else if (o.contains("entity_set")) {
    r.add(member_path(path, "table"), "is required when logical_name is not given");
  }
  if (starts_with_ci(t.table, "sqlite_")) {
    r.add(member_path(path, "table"), fmt::format("\"{}\" starts with sqlite_, which SQLite reserves", t.table));
    t.table.clear();
  }

  std::string const columns_path = member_path(path, "columns");
  bool columns_ok = true;  // a list whose other rules can be checked against
  if (json::value const* columns = o.if_contains("columns")) {
    t.columns = read_column_list(r, *columns, columns_path);
    columns_ok = columns->is_array() && !columns->get_array().empty();
    if (columns->is_array() && columns->get_array().empty()) r.add(columns_path, "must list at least one column");
  }
  if (json::value const* excluded = o.if_contains("exclude_columns"))
    t.exclude_columns = read_column_list(r, *excluded, member_path(path, "exclude_columns"));
  if (t.columns && !t.exclude_columns.empty())
    r.add(member_path(path, "exclude_columns"), "cannot be combined with columns: list only the columns wanted");

  auto listed = [&](std::string const& name) {
    return t.columns && std::any_of(t.columns->begin(), t.columns->end(),
                                    [&](std::string const& c) { return lower(c) == lower(name); });
  };
  if (columns_ok && t.columns && !t.key.empty() && std::find(t.columns->begin(), t.columns->end(), t.key) == t.columns->end())
    r.add(member_path(path, "key"), fmt::format("\"{}\" must be one of columns", t.key));
  if (!t.id.empty() && listed(t.id))
    r.add(member_path(path, "id"),
          fmt::format("\"{}\" must not be one of columns (the primary key is always selected and stored)", t.id));
  if (!t.key.empty() && std::any_of(t.exclude_columns.begin(), t.exclude_columns.end(),
                                    [&](std::string const& c) { return lower(c) == lower(t.key); }))
    r.add(member_path(path, "key"), fmt::format("\"{}\" is also in exclude_columns", t.key));
  return t;
}

void read_tables(reader& r, json::object const& root, settings& s) {
  json::value const* v = root.if_contains("tables");
  if (!v) {
    r.add("tables", "is required");
    return;
  }
  if (!v->is_array()) {
    r.add("tables", fmt::format("must be an array of tables, not {}", kind_name(v->kind())));
    return;
  }
  json::array const& a = v->get_array();
  if (a.empty()) {
    r.add("tables", "must list at least one table");
    return;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string path = index_path("tables", i);
    table_config t = read_table(r, a[i], path);
    auto same = [&](auto member) {
      return std::find_if(s.tables.begin(), s.tables.end(), [&](table_config const& earlier) {
        return !(t.*member).empty() && lower(t.*member) == lower(earlier.*member);
      });
    };
    if (auto it = same(&table_config::table); it != s.tables.end())
      r.add(member_path(path, "table"),
            fmt::format("duplicates tables[{}].table (\"{}\")", it - s.tables.begin(), it->table));
    if (auto it = same(&table_config::entity_set); it != s.tables.end())
      r.add(member_path(path, "entity_set"),
            fmt::format("duplicates tables[{}].entity_set (\"{}\")", it - s.tables.begin(), it->entity_set));
    if (auto it = same(&table_config::logical_name); it != s.tables.end())
      r.add(member_path(path, "logical_name"),
            fmt::format("duplicates tables[{}].logical_name (\"{}\")", it - s.tables.begin(), it->logical_name));
    s.tables.push_back(std::move(t));
  }
  // A mode's table is named after its mirror; it must not be another table's mirror.
  for (std::size_t i = 0; i < s.tables.size(); ++i) {
    auto const& t = s.tables[i];
    if (t.mode == table_mode::mirror || t.table.empty()) continue;
    auto const made = t.table + (t.mode == table_mode::history ? "_history" : "_all");
    for (std::size_t j = 0; j < s.tables.size(); ++j)
      if (lower(s.tables[j].table) == lower(made))
        r.add(member_path(index_path("tables", i), "mode"),
              fmt::format("\"{}\" keeps its rows in table {}, which is tables[{}].table", to_string(t.mode), made, j));
  }
}

void read_settings(reader& r, json::object const& root, settings& s) {
  using presence = reader::presence;
  r.only_keys(root, "", {"dataverse", "auth", "database", "sync", "tables", "tls", "log", "metrics", "proxy"});

  if (auto const* o = r.section(root, "dataverse", "", true)) {
    r.only_keys(*o, "dataverse", {"url", "api_version"});
    if (auto url = r.endpoint(*o, "url", "dataverse", presence::required)) s.dataverse.url = *url;
    if (auto v = r.choice(*o, "api_version", "dataverse", {"9.0", "9.1", "9.2"})) s.dataverse.api_version = *v;
  }

  if (auto const* o = r.section(root, "auth", "", true)) {
    r.only_keys(*o, "auth", {"authority", "tenant_id", "client_id", "client_secret_file", "client_certificate_file"});
    if (auto v = r.endpoint(*o, "authority", "auth", presence::optional)) s.auth.authority = *v;
    if (auto v = r.text(*o, "tenant_id", "auth", presence::required)) s.auth.tenant_id = *v;
    if (auto v = r.text(*o, "client_id", "auth", presence::required)) s.auth.client_id = *v;
    if (auto v = r.text(*o, "client_secret_file", "auth", presence::nullable)) s.auth.client_secret_file = *v;
    if (auto v = r.text(*o, "client_certificate_file", "auth", presence::nullable)) s.auth.client_certificate_file = *v;
    // One credential: a configuration naming both leaves unclear which one the organization meant.
    if (!s.auth.client_secret_file.empty() && !s.auth.client_certificate_file.empty())
      r.add("auth.client_certificate_file", "set either client_certificate_file or client_secret_file, not both");
  }

  if (auto const* o = r.section(root, "database", "", true)) {
    r.only_keys(*o, "database", {"path", "synchronous", "busy_timeout_ms", "change_feed_retention_days"});
    if (auto v = r.text(*o, "path", "database", presence::required)) s.database.path = *v;
    if (auto v = r.choice(*o, "synchronous", "database", {"full", "normal"})) s.database.synchronous_full = *v == "full";
    // sqlite3_busy_timeout() takes an int.
    if (auto v = r.integer(*o, "busy_timeout_ms", "database", 0, std::numeric_limits<int>::max()))
      s.database.busy_timeout = std::chrono::milliseconds(*v);
    if (auto v = r.integer(*o, "change_feed_retention_days", "database", 1, 36500))
      s.database.change_feed_retention_days = static_cast<int>(*v);
  }

  if (auto const* o = r.section(root, "sync", "", false)) {
    constexpr std::int64_t day = 86400;
    r.only_keys(*o, "sync",
                {"interval_s", "page_size", "request_timeout_s", "max_response_mb", "max_attempts", "backoff_base_s",
                 "backoff_cap_s", "retry_after_cap_s", "metadata_refresh_s", "max_parallel_requests"});
    if (auto v = r.integer(*o, "interval_s", "sync", 1, 30 * day)) s.sync.interval = std::chrono::seconds(*v);
    // Dataverse refuses odata.maxpagesize above 5000.
    if (auto v = r.integer(*o, "page_size", "sync", 1, 5000)) s.sync.page_size = static_cast<int>(*v);
    if (auto v = r.integer(*o, "request_timeout_s", "sync", 1, day)) s.sync.request_timeout = std::chrono::seconds(*v);
    if (auto v = r.integer(*o, "max_response_mb", "sync", 1, 4096)) s.sync.max_response_mb = static_cast<int>(*v);
    if (auto v = r.integer(*o, "max_attempts", "sync", 1, 100)) s.sync.max_attempts = static_cast<int>(*v);
    if (auto v = r.integer(*o, "backoff_base_s", "sync", 1, day)) s.sync.backoff_base = std::chrono::seconds(*v);
    if (auto v = r.integer(*o, "backoff_cap_s", "sync", 1, day)) s.sync.backoff_cap = std::chrono::seconds(*v);
    if (s.sync.backoff_cap < s.sync.backoff_base) {
      // Blame the key the user wrote; the other one holds its default.
      bool cap_given = o->contains("backoff_cap_s");
      r.add(cap_given ? "sync.backoff_cap_s" : "sync.backoff_base_s",
            fmt::format("sync.backoff_cap_s ({}) must not be less than sync.backoff_base_s ({})",
                        s.sync.backoff_cap.count(), s.sync.backoff_base.count()));
    }
    if (auto v = r.integer(*o, "retry_after_cap_s", "sync", 1, day)) s.sync.retry_after_cap = std::chrono::seconds(*v);
    if (auto v = r.integer(*o, "metadata_refresh_s", "sync", 1, 30 * day))
      s.sync.metadata_refresh = std::chrono::seconds(*v);
    // Dataverse refuses a user's 53rd concurrent request (0x80072326, protocol §6.1).
    if (auto v = r.integer(*o, "max_parallel_requests", "sync", 1, 52))
      s.sync.max_parallel_requests = static_cast<int>(*v);
  }

  if (auto const* o = r.section(root, "tls", "", false)) {
    r.only_keys(*o, "tls", {"ca_file"});
    if (auto v = r.text(*o, "ca_file", "tls", presence::nullable)) s.tls.ca_file = *v;
  }

  if (auto const* o = r.section(root, "log", "", false)) {
    r.only_keys(*o, "log", {"level", "format"});
    if (auto v = r.choice(*o, "level", "log", {"debug", "info", "warn", "error"})) s.log.level = *v;
    if (auto v = r.choice(*o, "format", "log", {"text", "json"})) s.log.format = *v;
  }

  if (auto const* o = r.section(root, "proxy", "", false)) {
    r.only_keys(*o, "proxy", {"url", "no_proxy"});
    if (auto v = r.text(*o, "url", "proxy", presence::nullable)) {
      // The file holds no secret (decision 8): a proxy password comes from HTTPS_PROXY instead.
      if (v->find('@') != std::string::npos)
        r.add("proxy.url", "credentials do not go in the config file; give the whole URL in HTTPS_PROXY "
                           "(for systemd, in a root-only EnvironmentFile=)");
      else
        s.proxy.url = *v;
    }
    if (auto const* v = o->if_contains("no_proxy"); v != nullptr && v->is_string()) s.proxy.no_proxy = std::string(v->get_string());
    else if (v != nullptr && !v->is_null()) r.add("proxy.no_proxy", "must be a string of comma-separated hosts or null");
  }

  if (auto const* o = r.section(root, "metrics", "", false)) {
    r.only_keys(*o, "metrics", {"listen"});
    s.metrics_listen = r.listen_address(*o, "listen", "metrics");
  }

  read_tables(r, root, s);
}

void escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
}

}  // namespace

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(name.front())) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

parse_result parse(std::string_view json_text) {
  parse_result out;
  json::parser p;
  json::error_code ec;
  std::size_t consumed = p.write(json_text.data(), json_text.size(), ec);
  if (ec) {
    auto [line, column] = line_and_column(json_text, consumed);
    out.problems.push_back({"", fmt::format("invalid JSON at line {}, column {}: {}", line, column, ec.message())});
    return out;
  }
  json::value root = p.release();
  if (!root.is_object()) {
    out.problems.push_back({"", fmt::format("the configuration must be a JSON object, not {}", kind_name(root.kind()))});
    return out;
  }
  reader r;
  r.problems = find_duplicate_keys(json_text);
  settings s;
  read_settings(r, root.get_object(), s);
  out.problems = std::move(r.problems);
  if (out.problems.empty()) out.value = std::move(s);
  return out;
}

parse_result load(std::string const& path, purpose p) {
  parse_result out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    out.problems.push_back({"", fmt::format("cannot read {}: {}", path, std::strerror(errno))});
    return out;
  }
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  bool too_large = false;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    text.append(buffer, n);
    if (text.size() > max_file_size) {
      too_large = true;
      break;
    }
  }
  bool failed = std::ferror(f) != 0;
  int read_errno = errno;
  std::fclose(f);
  if (failed) {
    out.problems.push_back({"", fmt::format("cannot read {}: {}", path, std::strerror(read_errno))});
    return out;
  }
  if (too_large) {
    out.problems.push_back({"", fmt::format("{} is larger than {} bytes; is it really a dvsync configuration?", path,
                                            max_file_size)});
    return out;
  }
  out = parse(text);
  if (out.value) {
    out.problems = check_environment(*out.value, p);
    if (!out.problems.empty()) out.value.reset();
  }
  return out;
}

std::string describe(std::vector<problem> const& problems) {
  std::string out;
  for (auto const& p : problems) {
    out += "config: ";
    if (!p.path.empty()) {
      escape_into(out, p.path);
      out += ": ";
    }
    escape_into(out, p.message);
    out += '\n';
  }
  return out;
}

}  // namespace dvsync::config
