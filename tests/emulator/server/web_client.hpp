#pragma once
// What the emulator's integration tests share: Web API calls with a bearer token and Prefer
// headers, JSON bodies, and following nextLinks to the end of a read.
#include "emulator_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dvsync::test {

inline boost::json::value json_of(http_reply const& r) {
  boost::json::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec) ADD_FAILURE() << "not JSON (" << ec.message() << "): " << r.body.substr(0, 300);
  return v;
}

inline http_reply api_call(std::string const& method, std::string const& url, std::string const& token,
                           std::string const& body = {}, header_list extra = {}) {
  auto headers = web_api_headers(token);
  headers.insert(headers.end(), extra.begin(), extra.end());
  return http_call(method, url, body, headers);
}

inline std::string book_json(int i) {
  return R"({"sample_name":"Demo Book )" + std::to_string(i) + R"(","sample_bookcode":"BookCode)" + std::to_string(i) +
         R"(","sample_author":"Author)" + std::to_string(i) + R"("})";
}

inline void create_books(emulator_process const& emu, std::string const& token, int first, int last) {
  for (int i = first; i <= last; ++i) {
    auto r = api_call("POST", emu.api_url("sample_books"), token, book_json(i));
    ASSERT_EQ(r.status, 204) << r.body;
  }
}

// Every page of a read, following @odata.nextLink; the last page's deltaLink (if any) is returned.
struct read_result {
  std::vector<boost::json::object> pages;
  std::vector<boost::json::value> rows;
  std::string delta_link;
};

inline read_result read_all(std::string url, std::string const& token, std::string const& prefer) {
  read_result out;
  for (int guard = 0; guard < 10000 && !url.empty(); ++guard) {
    auto r = api_call("GET", url, token, {}, {{"Prefer", prefer}});
    if (r.status != 200) {
      ADD_FAILURE() << "GET " << url << " -> " << r.status << " " << r.error << " " << r.body;
      break;
    }
    auto page = json_of(r).as_object();
    for (auto const& row : page.at("value").as_array()) out.rows.push_back(row);
    url.clear();
    if (auto const* next = page.if_contains("@odata.nextLink")) url = std::string(next->as_string());
    if (auto const* delta = page.if_contains("@odata.deltaLink")) out.delta_link = std::string(delta->as_string());
    out.pages.push_back(std::move(page));
  }
  return out;
}

}  // namespace dvsync::test
