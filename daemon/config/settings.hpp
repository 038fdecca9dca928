#pragma once
// The validated configuration. Produced only by config::load/parse (see config.hpp); every
// identifier in it has already been checked against the SQL identifier pattern.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/table_spec.hpp"

namespace dvsync::config {

// A table as configured. Only logical_name is needed: the rest comes from the organization's
// metadata unless given here (see config/README.md). An entry of the first release (entity_set,
// table, id, key, columns, without logical_name) is still valid.
struct table_config {
  std::string logical_name;          // e.g. account; empty for an entry that names its entity_set
  std::string table;                 // mirror table; default: logical_name
  std::string entity_set;            // override; default: EntitySetName
  std::string id;                    // override; default: PrimaryIdAttribute
  std::string key;                   // alternate key column, the mirror's PRIMARY KEY; empty: the id
  std::optional<std::vector<std::string>> columns = {};  // default: every attribute that can be mirrored
  std::vector<std::string> exclude_columns = {};
  std::optional<std::chrono::seconds> interval = {};   // default: sync.interval_s
  table_mode mode = table_mode::mirror;
  bool change_feed = false;
};

struct dataverse_settings {
  std::string url;                   // https://org.crm.dynamics.com (no trailing slash)
  std::string api_version = "9.2";
};

struct auth_settings {
  std::string authority = "https://login.microsoftonline.com";
  std::string tenant_id;
  std::string client_id;
  std::string client_secret_file;    // optional: DVSYNC_CLIENT_SECRET or $CREDENTIALS_DIRECTORY first
  // PEM certificate and private key: certificate credentials instead of a secret.
  // $CREDENTIALS_DIRECTORY/client_certificate first.
  std::string client_certificate_file;
};

struct database_settings {
  std::string path;
  bool synchronous_full = true;      // "synchronous": "full" (default) or "normal"
  std::chrono::milliseconds busy_timeout{5000};
  int change_feed_retention_days = 7;  // dvsync_feed rows older than this are pruned
};

struct sync_settings {
  std::chrono::seconds interval{60};
  int page_size = 5000;
  std::chrono::seconds request_timeout{120};   // whole request, all bytes
  int max_response_mb = 128;                   // largest response body read, in MiB (gzip: decoded)
  int max_attempts = 6;                        // per request, before the cycle fails
  std::chrono::seconds backoff_base{1};
  std::chrono::seconds backoff_cap{60};
  std::chrono::seconds retry_after_cap{300};   // absurd Retry-After values are clipped to this
  std::chrono::seconds metadata_refresh{3600}; // tables' metadata (columns, labels) read again after this
  // Requests in flight at once across every table: the service's x-ms-dop-hint, at most this.
  int max_parallel_requests = 8;
};

struct tls_settings {
  std::string ca_file;               // extra trust anchor (PEM); the system store is always used
};

// The HTTPS proxy (http/proxy.hpp). Unset values fall back to HTTPS_PROXY / https_proxy and
// NO_PROXY / no_proxy; an empty no_proxy ("") turns the environment's off.
struct proxy_config {
  std::string url;                        // http://host:port, without credentials; empty: the environment's
  std::optional<std::string> no_proxy;    // comma-separated hosts and domains
};

struct log_settings {
  std::string level = "info";        // debug, info, warn, error
  std::string format = "text";       // text, json
};

struct settings {
  dataverse_settings dataverse;
  auth_settings auth;
  database_settings database;
  sync_settings sync;
  tls_settings tls;
  log_settings log;
  proxy_config proxy;
  std::optional<std::string> metrics_listen;   // "127.0.0.1:9464"; absent = no endpoint
  std::vector<table_config> tables;
};

}  // namespace dvsync::config
