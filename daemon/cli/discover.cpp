// `dvsync discover`: the organization's tables, and with --table NAME the configuration entry and
// the mirror table dvsync would make for one of them. Reads metadata only; no database.
#include "cli/commands.hpp"
#include "cli/connection.hpp"
#include "dataverse/resolve.hpp"
#include "store/table_layout.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace dvsync::cli {
namespace {

std::string keys_text(std::vector<dataverse::alternate_key> const& keys) {
  if (keys.empty()) return "-";
  std::string out;
  for (auto const& k : keys) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} ({})", k.name, fmt::join(k.attributes, ", "));
  }
  return out;
}

void print_tables(dataverse::entity_list const& list) {
  auto const& tables = list.tables;
  std::size_t name_width = 12, set_width = 10;
  for (auto const& t : tables) {
    name_width = std::max(name_width, t.logical_name.size());
    set_width = std::max(set_width, t.entity_set.size());
  }
  std::printf("%s\n", fmt::format("{:<{}}  {:<{}}  {:<15}  {}", "LOGICAL NAME", name_width, "ENTITY SET", set_width,
                                  "CHANGE TRACKING", "ALTERNATE KEYS").c_str());
  for (auto const& t : tables)
    std::printf("%s\n", fmt::format("{:<{}}  {:<{}}  {:<15}  {}", t.logical_name, name_width, t.entity_set, set_width,
                                    t.change_tracking ? "on" : "off", keys_text(t.keys))
                            .c_str());
  if (!list.left_out.empty())
    std::printf("# %zu more left out: no EntitySetName or PrimaryIdAttribute (internal or intersect tables, which "
                "the Web API cannot read)\n",
                list.left_out.size());
}

// The entry to paste into "tables", the columns and why others are left out, and the CREATE TABLE.
int print_table(config::table_config const& entry, dataverse::table_metadata const& m) {
  std::printf("# configuration entry (the rest comes from the metadata; add \"key\", \"columns\" or "
              "\"exclude_columns\" to choose)\n{\"logical_name\": \"%s\"}\n\n",
              m.entity.logical_name.c_str());
  if (!m.entity.keys.empty())
    std::printf("# alternate keys (any single-column one can be the mirror's \"key\"): %s\n\n",
                keys_text(m.entity.keys).c_str());
  auto resolved = dataverse::resolve(entry, m);
  if (!resolved) {
    std::fprintf(stderr, "dvsync: %s\n", resolved.error().message.c_str());
    return exit_failure;
  }
  std::printf("# left out:");
  bool any = false;
  for (auto const& a : m.attributes) {
    if (dataverse::mirrored_by_default(a, m.entity)) continue;
    std::string why;
    if (a.logical_name == m.entity.primary_id) continue;
    if (!a.valid_for_read)
      why = "not readable";
    else if (!a.attribute_of.empty())
      why = "part of " + a.attribute_of;
    else
      why = dataverse::rule_for(a).not_mirrored;
    std::printf("\n#   %s: %s", a.logical_name.c_str(), why.c_str());
    any = true;
  }
  std::printf("%s\n\n", any ? "" : " nothing");
  auto layout = store::make_layout(resolved->spec);
  if (!layout) {
    std::fprintf(stderr, "dvsync: %s\n", layout.error().message.c_str());
    return exit_failure;
  }
  std::printf("%s;\n", layout->create_table(layout->mirror_name).c_str());
  return 0;
}

boost::asio::awaitable<int> discover_in(connection& conn, std::optional<std::string> table) {
  client_metadata source(conn.dataverse);
  sync::catalog catalog(source, std::chrono::seconds{0});
  auto tables = co_await catalog.tables();
  if (!tables) {
    std::fprintf(stderr, "dvsync: %s\n", tables.error().message.c_str());
    co_return exit_failure;
  }
  if (!table) {
    print_tables(*tables);
    co_return 0;
  }
  auto const& all = tables->tables;
  auto it = std::find_if(all.begin(), all.end(), [&](auto const& t) { return t.logical_name == *table; });
  bool const left_out = std::find(tables->left_out.begin(), tables->left_out.end(), *table) != tables->left_out.end();
  if (it == all.end() && !left_out) {
    std::fprintf(stderr, "dvsync: the organization has no table with logical name '%s'\n", table->c_str());
    co_return exit_failure;
  }
  // A table left out of the list fails here, with the error that names the missing field.
  auto metadata = co_await sync::read_table_metadata(source, *table);
  if (!metadata) {
    std::fprintf(stderr, "dvsync: %s\n", metadata.error().message.c_str());
    co_return exit_failure;
  }
  if (it == all.end()) {
    std::fprintf(stderr, "dvsync: table %s: the table list gives it no EntitySetName or PrimaryIdAttribute\n",
                 table->c_str());
    co_return exit_failure;
  }
  config::table_config entry;
  entry.logical_name = *table;
  entry.table = *table;
  // Discovery shows the table whether or not its change tracking is on.
  metadata->entity.change_tracking = true;
  if (!it->change_tracking)
    std::printf("# change tracking is OFF for %s: turn it on (Power Apps: Tables > %s > Properties > Advanced "
                "options > Track changes) before dvsync can mirror it\n",
                table->c_str(), table->c_str());
  co_return print_table(entry, *metadata);
}

}  // namespace

int discover(arguments const& a) {
  auto s = load_settings(a);
  if (!s) return exit_config;
  boost::asio::io_context io;
  std::stop_source stop;
  connection conn(*s, io, stop.get_token());
  int code = exit_failure;
  boost::asio::co_spawn(io, discover_in(conn, a.table), [&](std::exception_ptr e, int r) {
    if (e) std::rethrow_exception(e);
    code = r;
  });
  io.run();
  return code;
}

}  // namespace dvsync::cli
