#pragma once
// One line per event: `level=info event=cycle.done table=sample_book pages=3 duration_ms=41`.
// Values are quoted when needed and CR/LF are escaped, so a value can never forge a line.
// Never pass a secret, a bearer token or a full delta link as a value: use fingerprint().
#include <concepts>
#include <cstdio>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace dvsync::core::log {

enum class level { debug = 1, info, warn, error };
enum class format { text = 1, json };

struct field {
  std::string_view key;
  std::string value;

  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v) {}
  field(std::string_view k, std::string const& v) : key(k), value(v) {}
  template <std::integral I>
  field(std::string_view k, I v) : key(k), value(std::to_string(v)) {}
  field(std::string_view k, double v);
};

struct options {
  level min_level = level::info;
  format style = format::text;
  bool journald_prefix = false;  // `<N>` priority prefixes, for stderr captured by journald
};

// journald prefixes when stderr is the journal stream that JOURNAL_STREAM names (see below).
options default_options();

// Whether a JOURNAL_STREAM value ("DEVICE:INODE", both decimal) names the file with this device
// and inode number. systemd.exec(5), "Environment Variables Set or Propagated by the Service
// Manager": the variable holds the device and inode of the journal stream, and a process must
// compare them with its own standard error rather than trust the variable's presence, since a
// service may start programs whose stderr it has redirected without unsetting the variable.
bool names_journal_stream(std::string_view journal_stream, std::uint64_t device, std::uint64_t inode);
void configure(options const& o);
options const& current();

std::optional<level> parse_level(std::string_view name);

void write(level lv, std::string_view event, std::initializer_list<field> fields = {});
inline void debug(std::string_view e, std::initializer_list<field> f = {}) { write(level::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<field> f = {}) { write(level::info, e, f); }
inline void warn(std::string_view e, std::initializer_list<field> f = {}) { write(level::warn, e, f); }
inline void error(std::string_view e, std::initializer_list<field> f = {}) { write(level::error, e, f); }

// Lines kept below the log on a terminal (`dvsync once`'s live progress, one line per table):
// erased before anything is written through write() or print_line() and drawn again after it.
// Empty: none. Only for a terminal on stderr; the caller checks isatty.
void set_footer(std::string text);
// Writes one line (a newline is added) to `stream`, above the footer.
void print_line(std::FILE* stream, std::string_view line);

// Formats one event as it would be written (without the trailing newline); for tests.
std::string render(options const& o, level lv, std::string_view event, std::initializer_list<field> fields);

// A short, stable, non-reversible tag for a value that must not be logged (a delta link).
std::string fingerprint(std::string_view secret_or_link);

}  // namespace dvsync::core::log
