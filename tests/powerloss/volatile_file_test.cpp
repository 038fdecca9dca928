// The volatile cache of one file over a real backing file: what readers see, what reaches the
// backing file (only at sync), and that dropping the cache leaves the backing file as it was.
#include "process.hpp"
#include "temp_dir.hpp"
#include "volatile_file.hpp"

#include <gtest/gtest.h>

#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace dvsync::powerloss {
namespace {

using test::read_file;
using test::temp_dir;
using test::write_file;

constexpr std::size_t page = volatile_file::page_size;

class volatile_file_test : public ::testing::Test {
 protected:
  temp_dir dir_;
  std::string path_ = (dir_ / "file").string();

  std::unique_ptr<volatile_file> open_cache(std::string const& initial) {
    write_file(path_, initial);
    int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    return std::make_unique<volatile_file>(fd);
  }

  static std::string read_all(volatile_file const& f) {
    std::string out(f.size(), '?');
    EXPECT_EQ(f.read(out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
  }
};

TEST_F(volatile_file_test, writes_are_seen_by_readers_but_reach_the_backing_file_only_at_sync) {
  auto f = open_cache("0123456789");
  ASSERT_EQ(f->write("abc", 3, 2), 3);
  EXPECT_EQ(read_all(*f), "01abc56789");
  EXPECT_EQ(read_file(path_), "0123456789");
  EXPECT_TRUE(f->dirty());
  ASSERT_EQ(f->sync(), 0);
  EXPECT_FALSE(f->dirty());
  EXPECT_EQ(read_file(path_), "01abc56789");
}

TEST_F(volatile_file_test, dropping_the_cache_leaves_the_backing_file_as_last_synced) {
  auto f = open_cache(std::string(3 * page, 'a'));
  f->write(std::string(page + 10, 'b').data(), page + 10, page - 5);
  f->truncate(2 * page + 100);
  f.reset();
  EXPECT_EQ(read_file(path_), std::string(3 * page, 'a'));
}

TEST_F(volatile_file_test, a_write_past_the_end_leaves_zeros_between_and_grows_the_file) {
  auto f = open_cache("xy");
  ASSERT_EQ(f->write("z", 1, 3 * page + 1), 1);
  ASSERT_EQ(f->size(), 3 * page + 2);
  std::string expected = "xy" + std::string(3 * page - 1, '\0') + "z";
  EXPECT_EQ(read_all(*f), expected);
  ASSERT_EQ(f->sync(), 0);
  EXPECT_EQ(read_file(path_), expected);
}

TEST_F(volatile_file_test, bytes_cut_off_by_a_truncation_read_as_zeros_when_the_file_grows_again) {
  auto f = open_cache(std::string(2 * page, 'a'));
  ASSERT_EQ(f->truncate(100), 0);
  EXPECT_EQ(read_all(*f), std::string(100, 'a'));
  ASSERT_EQ(f->truncate(2 * page), 0);
  std::string expected = std::string(100, 'a') + std::string(2 * page - 100, '\0');
  EXPECT_EQ(read_all(*f), expected);
  // The same after a write into the cut-off range, which reads its page in from the backing file.
  ASSERT_EQ(f->write("q", 1, page + 7), 1);
  expected[page + 7] = 'q';
  EXPECT_EQ(read_all(*f), expected);
  EXPECT_EQ(read_file(path_), std::string(2 * page, 'a'));
  ASSERT_EQ(f->sync(), 0);
  EXPECT_EQ(read_file(path_), expected);
}

TEST_F(volatile_file_test, a_truncation_inside_a_cached_page_clears_the_rest_of_it) {
  auto f = open_cache("");
  f->write(std::string(page, 'c').data(), page, 0);
  f->truncate(10);
  f->truncate(20);
  EXPECT_EQ(read_all(*f), std::string(10, 'c') + std::string(10, '\0'));
  ASSERT_EQ(f->sync(), 0);
  EXPECT_EQ(read_file(path_), std::string(10, 'c') + std::string(10, '\0'));
}

TEST_F(volatile_file_test, reads_mix_cached_pages_and_backing_bytes_and_stop_at_the_end) {
  std::string backing;
  for (std::size_t i = 0; i < 4 * page; ++i) backing += static_cast<char>('a' + i % 26);
  auto f = open_cache(backing);
  f->write("11", 2, page - 1);      // the end of page 0 and the start of page 1
  f->write("2", 1, 3 * page + 5);  // page 3
  std::string expected = backing;
  expected[page - 1] = '1';
  expected[page] = '1';
  expected[3 * page + 5] = '2';
  std::string part(2 * page + 10, '?');
  ASSERT_EQ(f->read(part.data(), part.size(), page - 4), static_cast<ssize_t>(part.size()));
  EXPECT_EQ(part, expected.substr(page - 4, part.size()));
  std::string tail(100, '?');
  EXPECT_EQ(f->read(tail.data(), tail.size(), 4 * page - 30), 30);
  EXPECT_EQ(f->read(tail.data(), tail.size(), 4 * page), 0);
  ASSERT_EQ(f->sync(), 0);
  EXPECT_EQ(read_file(path_), expected);
}

}  // namespace
}  // namespace dvsync::powerloss
