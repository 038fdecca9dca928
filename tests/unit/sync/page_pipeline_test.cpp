// page_pipeline: how far pages are fetched ahead of the page being written, and where fetching
// stops. A scripted source serves pages on the test's io_context; "writing" a page is a wait.
#include "sync/page_pipeline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

namespace dvsync::sync {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

constexpr char const* service = "https://org.example.com";

config::table_spec books() {
  return {"sample_books", "sample_book", "sample_bookid", "sample_bookcode", {"sample_name", "sample_bookcode"}};
}

std::string page_url(int n) { return fmt::format("{}/api/data/v9.2/sample_books?page={}", service, n); }

// Pages 1..last: each links to the next, the last hands out a delta link. `next_link_of` may
// replace a page's nextLink.
class scripted_source : public page_source {
 public:
  explicit scripted_source(int last) : last_(last) {}

  asio::awaitable<core::result<std::string>> get(std::string url, bool lookup_targets, std::size_t) override {
    requested.push_back(url);
    asked_lookup_targets.push_back(lookup_targets);
    int const n = std::stoi(url.substr(url.rfind('=') + 1));
    std::string links;
    if (n < last_)
      links = fmt::format(R"("@odata.nextLink": "{}")", next_link_of.empty() ? page_url(n + 1) : next_link_of);
    else
      links = fmt::format(R"("@odata.deltaLink": "{}/api/data/v9.2/sample_books?$deltatoken=1")", service);
    co_return fmt::format(R"({{"value": [{{"sample_bookid": "{:08x}-0000-0000-0000-000000000000", "sample_name": "n", )"
                          R"("sample_bookcode": "c{}"}}], {}}})",
                          n, n, links);
  }

  std::vector<std::string> requested;
  std::vector<bool> asked_lookup_targets;  // per request
  std::string next_link_of;

 private:
  int last_;
};

// Runs `consume` against a pipeline started at page 1, as the engine does (`run() && consume`).
template <class Consume>
void with_pipeline(scripted_source& source, std::size_t depth, Consume consume) {
  asio::io_context io;
  auto const spec = books();
  page_pipeline pages(io.get_executor(), source, spec, service, depth);
  pages.start(page_url(1), true);
  auto reader = [&]() -> asio::awaitable<void> {
    struct closer {
      page_pipeline& p;
      ~closer() { p.close(); }
    } close{pages};
    co_await consume(pages);
  };
  std::exception_ptr failed;
  asio::co_spawn(io, pages.run() && reader(), [&](std::exception_ptr e) { failed = e; });
  io.run();
  if (failed) std::rethrow_exception(failed);
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

TEST(page_pipeline, pages_are_fetched_ahead_while_one_is_written_up_to_the_depth_waiting) {
  scripted_source source(10);
  with_pipeline(source, 2, [&](page_pipeline& pages) -> asio::awaitable<void> {
    auto first = co_await pages.next();
    EXPECT_TRUE(first.page && *first.page);
    // Page 1 is being written: pages 2 and 3 are fetched meanwhile, then fetching waits.
    co_await pause(std::chrono::milliseconds(50));
    EXPECT_EQ(source.requested.size(), 3u);
    // Taking page 2 makes room for page 4, and only that.
    (void)co_await pages.next();
    co_await pause(std::chrono::milliseconds(50));
    EXPECT_EQ(source.requested.size(), 4u);
  });
  // Closed with pages still to come: nothing more was fetched.
  EXPECT_EQ(source.requested.size(), 4u);
}

TEST(page_pipeline, every_page_comes_in_order_and_fetching_stops_after_the_last) {
  scripted_source source(5);
  std::vector<std::string> codes;
  with_pipeline(source, 2, [&](page_pipeline& pages) -> asio::awaitable<void> {
    for (;;) {
      auto f = co_await pages.next();
      EXPECT_TRUE(f.body && f.page && *f.page);
      if (!f.page || !*f.page) co_return;
      auto const& page = **f.page;
      codes.push_back(std::string(std::get<std::string_view>(page.upserts.at(0).at(1))));
      if (!page.next_link) break;
      co_await pause(std::chrono::milliseconds(2));
    }
    co_await pause(std::chrono::milliseconds(50));
  });
  EXPECT_EQ(codes, (std::vector<std::string>{"c1", "c2", "c3", "c4", "c5"}));
  EXPECT_EQ(source.requested.size(), 5u);
}

TEST(page_pipeline, a_next_link_to_another_host_is_never_fetched_and_ends_the_read) {
  scripted_source source(10);
  source.next_link_of = "https://attacker.example.net/api/data/v9.2/sample_books?page=2";
  with_pipeline(source, 2, [&](page_pipeline& pages) -> asio::awaitable<void> {
    auto f = co_await pages.next();
    EXPECT_TRUE(f.page && !*f.page);
    if (f.page && !*f.page) {
      EXPECT_EQ(f.page->error().code, core::errc::link_rejected);
    }
    co_await pause(std::chrono::milliseconds(50));
  });
  EXPECT_EQ(source.requested, (std::vector<std::string>{page_url(1)}));
}

TEST(page_pipeline, a_read_started_again_from_another_url_follows_that_one) {
  scripted_source source(3);
  std::vector<std::string> codes;
  with_pipeline(source, 2, [&](page_pipeline& pages) -> asio::awaitable<void> {
    for (int read = 0; read < 2; ++read) {
      for (;;) {
        auto f = co_await pages.next();
        if (!f.page || !*f.page) co_return;
        codes.push_back(std::string(std::get<std::string_view>((*f.page)->upserts.at(0).at(1))));
        if (!(*f.page)->next_link) break;
      }
      // As a fallback does once the read has ended; this one stops asking for lookup targets.
      if (read == 0) pages.start(page_url(2), false);
    }
  });
  EXPECT_EQ(codes, (std::vector<std::string>{"c1", "c2", "c3", "c2", "c3"}));
  // Every page of a read is asked as its start said (with_pipeline's first read asks).
  EXPECT_EQ(source.asked_lookup_targets, (std::vector<bool>{true, true, true, false, false}));
}

}  // namespace
}  // namespace dvsync::sync
