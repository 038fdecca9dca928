#pragma once
// What talks to Dataverse, without the database: the HTTP client, the token provider and the
// Dataverse client, built from the configuration. `run` and `once` hold one inside their runtime;
// `discover` uses one alone. Construction throws std::runtime_error when no credential can be read.
#include "auth/token_provider.hpp"
#include "config/settings.hpp"
#include "dataverse/client.hpp"
#include "http/client.hpp"
#include "sync/catalog.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <stop_token>

namespace dvsync::cli {

struct connection {
  connection(config::settings const& s, boost::asio::io_context& io, std::stop_token stop,
             std::function<void()> on_progress = {});

  http::client http;
  auth::token_provider tokens;
  dataverse::client dataverse;
};

// The catalog's metadata comes from the Dataverse client.
class client_metadata final : public sync::metadata_source {
 public:
  explicit client_metadata(dataverse::client& c) : client_(c) {}
  boost::asio::awaitable<core::result<std::string>> get_metadata(std::string query) override {
    return client_.get_metadata(std::move(query));
  }

 private:
  dataverse::client& client_;
};

}  // namespace dvsync::cli
