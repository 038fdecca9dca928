#pragma once
// The protocol core of dataverse-emulator: an in-memory Dataverse organization that answers the
// Web API requests the daemon and tests send (change tracking, paging, writes, errors). It knows
// nothing about sockets: the server hands it parsed requests and writes back its responses.
// Every member is meant to be called from one thread; nothing here starts a thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace emulator {

struct http_request {
  std::string method;  // "GET", "POST", "PATCH", "DELETE"
  // As received: path + '?' + percent-encoded query, e.g. /api/data/v9.2/sample_books?$select=a,b
  std::string target;
  // Names are compared case-insensitively; Prefer may repeat.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // scheme://host:port the client used, e.g. http://127.0.0.1:41234; links are built from it.
  std::string origin;
};

struct http_response {
  int status = 200;
  // e.g. OData-Version, Preference-Applied, OData-EntityId, Content-Type
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The order of the sequence numbers in generated text (`bookcode-<k>`) along the seeded ids:
// ascending (the ids' order is the keys' order) or a random permutation, as real tables serve
// alternate keys in primary-key order.
enum class seed_order { ascending = 1, shuffled };

struct options {
  std::string schema_json;  // contents of a schema file; empty = the built-in sample_book schema
  int change_retention_days = 7;
  int max_page_size = 5000;          // default and maximum odata.maxpagesize
  int expired_token_status = 400;    // HTTP status of the 0x80044352 (expired token) error
  bool enforce_required = true;      // reject creates/updates that leave a required column null
  bool empty_string_as_null = true;  // Dataverse stores "" in a text column as null
  std::uint64_t guid_seed = 0;       // seeds generated row ids; 0 = from std::random_device
};

class web_api {
 public:
  // Throws std::runtime_error with a message naming the problem for a bad schema or options.
  explicit web_api(options o);
  ~web_api();
  web_api(web_api&&) noexcept;
  web_api& operator=(web_api&&) noexcept;
  web_api(web_api const&) = delete;
  web_api& operator=(web_api const&) = delete;

  // Answers every request whose path starts with /api/data/v9.0/, v9.1/ or v9.2/ (anything else
  // gets a 404 in the Dataverse error envelope). Never throws: an internal failure is a 500.
  http_response handle(http_request const& r);

  // Control operations (exposed by the server as JSON endpoints under /_emulator/). Those taking
  // an entity set throw std::invalid_argument for an unknown set or an out-of-range argument.
  void reset();        // empties every table (schema kept); versions keep increasing; expires all tokens
  void seed_sample();  // the 10 sample books: Demo Book 0-9, BookCode0-9, Author0-9 (skips existing)
  // Adds `count` generated rows (deterministic for a given seed, order and table content).
  void seed(std::string const& entity_set, std::int64_t count, std::uint64_t seed,
            seed_order order = seed_order::ascending);
  struct mutation_counts {
    std::int64_t created = 0, updated = 0, deleted = 0;
  };
  // Touches round(fraction * rows) rows, split between creates, updates and deletes by the shares
  // (normalized; they need not sum to 1). Updated and deleted rows are distinct existing rows.
  mutation_counts mutate(std::string const& entity_set, double fraction, std::uint64_t seed, double create_share,
                         double update_share, double delete_share);
  // Schema changes at run time. `column_json` is one column as the schema file declares it; it is
  // null in existing rows. A removed column is gone from rows and metadata, and a $select that
  // names it gets the unknown-property error. Throws std::invalid_argument naming the problem.
  void add_column(std::string const& entity_set, std::string const& column_json);
  void remove_column(std::string const& entity_set, std::string const& name);
  std::vector<std::string> column_names(std::string const& entity_set) const;
  // The table is gone with its rows: its collection, rows and delta links get 404 0x8006088a and
  // its definition 404 0x80040217, as for a table that never existed.
  void remove_table(std::string const& entity_set);

  void expire_tokens();                        // every token issued so far is expired from now on
  void advance_clock(std::chrono::seconds s);  // moves the emulator clock; purges old tombstones
  // JSON array of every row, ordered by id: {"id","version",<every column by its wire name>,
  // "createdon","modifiedon"}.
  std::string dump(std::string const& entity_set) const;
  int retention_days() const;
  void set_retention_days(int days);  // 0..365, as the organization column allows

  // Further helpers for tests. Row bodies are JSON objects as a client would POST/PATCH them;
  // they throw std::invalid_argument with the Dataverse error message when the write is refused.
  std::string create_row(std::string const& entity_set, std::string const& json_object);  // new id
  bool update_row(std::string const& entity_set, std::string const& id, std::string const& json_object);
  bool delete_row(std::string const& entity_set, std::string const& id);  // false when missing
  std::int64_t row_count(std::string const& entity_set) const;
  std::int64_t tombstone_count(std::string const& entity_set) const;
  std::int64_t current_version() const;  // version of the latest write
  std::vector<std::string> entity_sets() const;
  std::chrono::system_clock::time_point now() const;  // the emulator clock

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace emulator
