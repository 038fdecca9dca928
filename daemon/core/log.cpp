#include "core/log.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace dvsync::core::log {
namespace {

options g_options = default_options();

const char* level_name(level lv) {
  switch (lv) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

// sd-daemon(3) priorities: err 3, warning 4, info 6, debug 7.
int journald_priority(level lv) {
  switch (lv) {
    case level::debug: return 7;
    case level::info: return 6;
    case level::warn: return 4;
    case level::error: return 3;
  }
  return 6;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        else
          out += c;
    }
  }
}

std::string timestamp_utc() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace

field::field(std::string_view k, double v) : key(k), value(fmt::format("{:.3f}", v)) {}

bool names_journal_stream(std::string_view journal_stream, std::uint64_t device, std::uint64_t inode) {
  auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  auto read_decimal = [](std::string_view text, std::uint64_t& out) {
    auto const* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return !text.empty() && ec == std::errc{} && ptr == end;
  };
  std::uint64_t named_device = 0;
  std::uint64_t named_inode = 0;
  return read_decimal(journal_stream.substr(0, colon), named_device) &&
         read_decimal(journal_stream.substr(colon + 1), named_inode) && named_device == device &&
         named_inode == inode;
}

options default_options() {
  options o;
  char const* journal_stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  o.journald_prefix = journal_stream != nullptr && ::fstat(STDERR_FILENO, &st) == 0 &&
                      names_journal_stream(journal_stream, static_cast<std::uint64_t>(st.st_dev),
                                           static_cast<std::uint64_t>(st.st_ino));
  return o;
}

void configure(options const& o) { g_options = o; }
options const& current() { return g_options; }

std::optional<level> parse_level(std::string_view name) {
  if (name == "debug") return level::debug;
  if (name == "info") return level::info;
  if (name == "warn" || name == "warning") return level::warn;
  if (name == "error") return level::error;
  return std::nullopt;
}

std::string render(options const& o, level lv, std::string_view event, std::initializer_list<field> fields) {
  std::string out;
  if (o.style == format::json) {
    out += "{\"time\":\"" + timestamp_utc() + "\",\"level\":\"" + level_name(lv) + "\",\"event\":\"";
    append_escaped(out, event);
    out += '"';
    for (auto const& f : fields) {
      out += ",\"";
      append_escaped(out, f.key);
      out += "\":\"";
      append_escaped(out, f.value);
      out += '"';
    }
    out += '}';
    return out;
  }
  if (o.journald_prefix)
    out += fmt::format("<{}>", journald_priority(lv));  // journald adds its own timestamp
  else
    out += "time=" + timestamp_utc() + ' ';
  out += "level=";
  out += level_name(lv);
  out += " event=";
  append_escaped(out, event);
  for (auto const& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    if (needs_quotes(f.value)) {
      out += '"';
      append_escaped(out, f.value);
      out += '"';
    } else {
      out += f.value;
    }
  }
  return out;
}

namespace {

// The footer and whether it is on the screen; guarded by footer_mutex, which also keeps a line
// from being written between an erase and a redraw.
std::mutex footer_mutex;
std::string footer;

void erase_footer() {
  if (footer.empty()) return;
  // The cursor is at the end of the footer's last line: clear it and the lines above it.
  std::string erase = "\r\x1b[K";
  for (char c : footer)
    if (c == '\n') erase += "\x1b[1A\x1b[K";
  std::fwrite(erase.data(), 1, erase.size(), stderr);
}

void draw_footer() {
  if (footer.empty()) return;
  std::fwrite(footer.data(), 1, footer.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void set_footer(std::string text) {
  std::lock_guard lock(footer_mutex);
  erase_footer();
  footer = std::move(text);
  draw_footer();
}

void print_line(std::FILE* stream, std::string_view line) {
  std::lock_guard lock(footer_mutex);
  erase_footer();
  std::fflush(stderr);
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
  draw_footer();
}

void write(level lv, std::string_view event, std::initializer_list<field> fields) {
  if (lv < g_options.min_level) return;
  std::string line = render(g_options, lv, event, fields);
  line += '\n';
  std::lock_guard lock(footer_mutex);
  erase_footer();
  std::fwrite(line.data(), 1, line.size(), stderr);
  draw_footer();
}

std::string fingerprint(std::string_view value) {
  // FNV-1a, 64 bit: enough to tell two links apart in logs, useless to recover one.
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : value) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h).substr(0, 12);
}

}  // namespace dvsync::core::log
