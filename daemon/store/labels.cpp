// database: the labels of choice columns, and the view that shows them beside the values.
#include "store/database.hpp"

#include "store/table_statement.hpp"

#include <fmt/format.h>

namespace dvsync::store {
namespace {

std::string q(std::string const& name) { return quote_identifier(name); }

std::string literal(std::string const& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string view_name(config::table_spec const& spec) { return spec.table + "_labeled"; }

}  // namespace

core::result<void> database::make_labeled_view(config::table_spec const& spec) {
  std::string labels;
  for (auto const& c : spec.columns) {
    auto const match = fmt::format("l.table_name = {} AND l.column_name = {}", literal(spec.table), literal(c.name));
    if (c.type == config::column_type::choice)
      labels += fmt::format(", (SELECT l.label FROM dvsync_choice_labels AS l WHERE {} AND l.value = m.{}) AS {}", match,
                            q(c.name), q(c.name + "_label"));
    else if (c.type == config::column_type::choices)
      // The values are stored as [1,3]. Only built-in core functions: JSON functions in a view are
      // refused by connections that do not trust the schema (dvsync's own, and many tools').
      labels += fmt::format(
          ", (SELECT group_concat(label, ', ') FROM (SELECT l.label FROM dvsync_choice_labels AS l WHERE {} AND "
          "instr(',' || trim(m.{}, '[]') || ',', ',' || l.value || ',') > 0 ORDER BY l.value)) AS {}",
          match, q(c.name), q(c.name + "_label"));
  }
  if (auto r = conn_.exec(fmt::format("DROP VIEW IF EXISTS {}", q(view_name(spec)))); !r) return r;
  if (labels.empty()) return {};
  return conn_.exec(
      fmt::format("CREATE VIEW {} AS SELECT m.*{} FROM {} AS m", q(view_name(spec)), labels, q(spec.table)));
}

core::result<void> database::store_choice_labels(config::table_spec const& spec,
                                                 std::vector<config::choice_label> const& labels) {
  auto const one_at_a_time = serialize();
  auto layout = make_layout(spec);
  if (!layout) return layout.error();
  if (auto r = durability(false); !r) return r;
  auto tx = transaction::begin_write(conn_);
  if (!tx) return tx.error();
  if (auto r = run_with_table(conn_, "DELETE FROM dvsync_choice_labels WHERE table_name = ?1", spec.table); !r) return r;
  auto insert = conn_.prepare(
      "INSERT OR REPLACE INTO dvsync_choice_labels (table_name, column_name, value, label) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) return insert.error();
  for (auto const& l : labels) {
    insert->bind_text(1, spec.table);
    insert->bind_text(2, l.column);
    insert->bind_int(3, l.value);
    insert->bind_text(4, l.label);
    if (auto r = insert->run(); !r) return r;
  }
  auto existing = column_names(conn_, spec.table);
  if (!existing) return existing.error();
  if (!existing->empty() && !column_difference(*existing, layout->columns))
    if (auto r = make_labeled_view(spec); !r) return r;
  return tx->commit();
}

}  // namespace dvsync::store
