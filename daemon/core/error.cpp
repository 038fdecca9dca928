#include "core/error.hpp"

#include <boost/assert/source_location.hpp>

#include <stdexcept>

namespace dvsync::core {

bool is_transient(errc code) {
  switch (code) {
    case errc::network:
    case errc::timeout:
    case errc::throttled:
    case errc::server_busy:
    case errc::database_full:
      return true;
    default:
      return false;
  }
}

const char* to_string(errc code) {
  switch (code) {
    case errc::config_invalid: return "config_invalid";
    case errc::io: return "io";
    case errc::database: return "database";
    case errc::database_full: return "database_full";
    case errc::locked: return "locked";
    case errc::network: return "network";
    case errc::timeout: return "timeout";
    case errc::tls_verify: return "tls_verify";
    case errc::http_status: return "http_status";
    case errc::throttled: return "throttled";
    case errc::server_busy: return "server_busy";
    case errc::unauthorized: return "unauthorized";
    case errc::auth_failed: return "auth_failed";
    case errc::token_expired: return "token_expired";
    case errc::cursor_refused: return "cursor_refused";
    case errc::protocol: return "protocol";
    case errc::link_rejected: return "link_rejected";
    case errc::cancelled: return "cancelled";
    case errc::schema_changed: return "schema_changed";
    case errc::metadata_invalid: return "metadata_invalid";
    case errc::not_tracked: return "not_tracked";
  }
  return "unknown";
}

void throw_exception_from_error(error const& e, boost::source_location const&) {
  throw std::runtime_error(std::string(to_string(e.code)) + ": " + e.message);
}

}  // namespace dvsync::core
