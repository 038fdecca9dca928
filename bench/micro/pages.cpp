#include "pages.hpp"

#include <fmt/format.h>

#include <random>

namespace dvsync::bench {
namespace {

// Row n's id and key: ascending, or scrambled by a bijection of 64-bit numbers so that every row
// still has its own.
std::uint64_t scramble(std::uint64_t n) {
  n ^= n >> 33;
  n *= 0xff51afd7ed558ccdULL;
  n ^= n >> 33;
  return n;
}

std::string guid(std::uint64_t n) {
  return fmt::format("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", static_cast<std::uint32_t>(n >> 32),
                     static_cast<std::uint16_t>(n >> 16), static_cast<std::uint16_t>(n) & 0xfff,
                     static_cast<std::uint16_t>(n >> 4) & 0xfff, n & 0xffffffffffffULL);
}

std::uint64_t number(std::size_t row, key_order order) {
  return order == key_order::ascending ? row : scramble(row);
}

}  // namespace

config::table_spec books() {
  return {"sample_books", "sample_book", "sample_bookid", "sample_bookcode", {"sample_name", "sample_bookcode", "sample_author"}};
}

std::string page_body(std::size_t first, std::size_t rows, key_order order) {
  std::string out = R"json({"@odata.context":"http://127.0.0.1/api/data/v9.2/$metadata#sample_books(sample_name,sample_bookcode,sample_author)","value":[)json";
  for (std::size_t i = first; i < first + rows; ++i) {
    auto const n = number(i, order);
    if (i != first) out += ',';
    out += fmt::format(R"json({{"@odata.etag":"W/\"{}\"","sample_name":"name-{}","sample_bookcode":"bookcode-{}","sample_author":"author-{}","sample_bookid":"{}"}})json",
                       i + 1, n, n, n, guid(n));
  }
  out += R"json(],"@odata.nextLink":"http://127.0.0.1/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode,sample_author&$skiptoken=%3Ccookie%20pagenumber=%222%22%20istracking=%22True%22%20/%3E"})json";
  return out;
}

dataverse::page page_records(std::size_t first, std::size_t rows, key_order order) {
  dataverse::page p;
  p.upserts.reserve(rows);
  for (std::size_t i = first; i < first + rows; ++i) {
    auto const n = number(i, order);
    p.upserts.push_back({guid(n), static_cast<std::int64_t>(i + 1),
                         {fmt::format("name-{}", n), fmt::format("bookcode-{}", n), fmt::format("author-{}", n)}});
  }
  return p;
}

}  // namespace dvsync::bench
