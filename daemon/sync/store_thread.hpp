#pragma once
// The one thread that writes to SQLite. Every table's cycle hands its database work here, so the
// io thread, which serves every table's requests, never waits for a commit; the database
// serializes its callers anyway, and one writer thread keeps commits in the order they were asked.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

namespace dvsync::sync {

class store_thread {
 public:
  // Runs `work` on the store thread; the awaiting coroutine's thread goes on meanwhile. `work` may
  // hold references to the caller's locals: the caller waits for it, even when cancelled.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F work) {
    co_return co_await boost::asio::co_spawn(pool_.get_executor(), call(std::move(work)), boost::asio::use_awaitable);
  }

  // Runs `work` on the store thread later, without waiting (it must own what it uses).
  template <class F>
  void post(F work) {
    boost::asio::post(pool_, std::move(work));
  }

 private:
  template <class F>
  static boost::asio::awaitable<std::invoke_result_t<F&>> call(F work) {
    co_return work();
  }

  boost::asio::thread_pool pool_{1};
};

}  // namespace dvsync::sync
