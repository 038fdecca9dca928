// dataverse::parse_page on one 5000-row page, as the emulator and Dataverse send it: the 3-column
// sample_book, and a 60-column account with every column type, its annotations and exact digits.
#include "dataverse/page_parser.hpp"
#include "pages.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

namespace dvsync::bench {
namespace {

void parse_page(benchmark::State& state) {
  auto const spec = books();
  auto const rows = static_cast<std::size_t>(state.range(0));
  auto const body = page_body(0, rows, key_order::random);
  for (auto _ : state) {
    auto page = dataverse::parse_page(body, spec);
    if (!page || page->upserts.size() != rows) state.SkipWithError("the page did not parse");
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(parse_page)->Arg(5000)->Unit(benchmark::kMillisecond);

using config::column_type;

// How many columns of each type a wide account-like table has besides its key: 59.
struct type_count {
  column_type type;
  int count;
  bool polymorphic = false;
};
constexpr type_count wide_columns[] = {
    {column_type::text, 15},    {column_type::integer, 6}, {column_type::boolean, 6}, {column_type::real, 2},
    {column_type::decimal, 6},  {column_type::datetime, 8}, {column_type::date, 2},   {column_type::guid, 2},
    {column_type::lookup, 4},   {column_type::lookup, 2, true}, {column_type::choice, 5}, {column_type::choices, 1},
};

config::table_spec wide_spec() {
  config::table_spec spec{"accounts", "account", "accountid", "accountnumber", {}, "account"};
  spec.columns.push_back({"accountnumber", "accountnumber", column_type::text});
  for (auto const& [type, count, polymorphic] : wide_columns)
    for (int i = 0; i < count; ++i) {
      std::string name = fmt::format("new_column{}", spec.columns.size());
      std::string wire = type == column_type::lookup ? fmt::format("_{}_value", name) : name;
      spec.columns.push_back({name, wire, type, polymorphic});
    }
  return spec;
}

std::string guid(std::size_t row, std::size_t column) {
  return fmt::format("{:08x}-{:04x}-4000-8000-{:012x}", row, column, row * 131 + column);
}

// One element as Dataverse sends it: members in $select order, lookups with their annotations.
void append_row(std::string& out, config::table_spec const& spec, std::size_t row) {
  out += fmt::format(R"({{"@odata.etag":"W/\"{}\"")", 1000000 + row);
  for (std::size_t c = 0; c < spec.columns.size(); ++c) {
    auto const& col = spec.columns[c];
    if (col.polymorphic) out += fmt::format(R"(,"{}@Microsoft.Dynamics.CRM.lookuplogicalname":"systemuser")", col.wire);
    out += fmt::format(R"(,"{}":)", col.wire);
    switch (col.type) {
      case column_type::text: out += fmt::format(R"("text {} of row {}")", c, row); break;
      case column_type::integer: out += fmt::format("{}", row * 7 + c); break;
      case column_type::boolean: out += (row + c) % 2 ? "true" : "false"; break;
      case column_type::real: out += fmt::format("{}.{}", row, c + 1); break;
      case column_type::decimal: out += fmt::format("{}.{:04}", row * 1000 + c, row % 10000); break;
      case column_type::datetime:
        out += fmt::format(R"("2024-{:02}-{:02}T{:02}:{:02}:{:02}Z")", row % 12 + 1, row % 28 + 1, c % 24, row % 60, c % 60);
        break;
      case column_type::date: out += fmt::format(R"("2024-{:02}-{:02}")", row % 12 + 1, c % 28 + 1); break;
      case column_type::guid:
      case column_type::lookup: out += fmt::format(R"("{}")", guid(row, c)); break;
      case column_type::choice: out += fmt::format("{}", 100000000 + (row + c) % 5); break;
      case column_type::choices: out += fmt::format(R"("{},{}")", 100000000 + row % 3, 100000003 + row % 2); break;
      case column_type::json: out += "null"; break;
    }
  }
  out += fmt::format(R"(,"accountid":"{}"}})", guid(row, 999));
}

void parse_wide_page(benchmark::State& state) {
  auto const spec = wide_spec();
  auto const rows = static_cast<std::size_t>(state.range(0));
  std::string body = R"({"@odata.context":"http://127.0.0.1/api/data/v9.2/$metadata#accounts","value":[)";
  for (std::size_t row = 0; row < rows; ++row) {
    if (row) body += ',';
    append_row(body, spec, row);
  }
  body += R"(],"@odata.nextLink":"http://127.0.0.1/api/data/v9.2/accounts?$skiptoken=x"})";
  for (auto _ : state) {
    auto page = dataverse::parse_page(body, spec);
    if (!page || page->upserts.size() != rows) state.SkipWithError("the page did not parse");
    benchmark::DoNotOptimize(page);
  }
  state.counters["columns"] = static_cast<double>(spec.columns.size());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(parse_wide_page)->Arg(5000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dvsync::bench
