#pragma once
// Every refusal the emulator can give, as a value: HTTP status plus the Dataverse error envelope
// {"error":{"code","message"}}. The texts are the documented ones where a document exists; the
// rest are marked as emulator choices in emulator/README.md.

#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "web_api.hpp"

namespace emulator {

struct api_error {
  // A constructor (not an aggregate) so that result<int> never mistakes an int for an error.
  api_error() = default;
  api_error(int s, std::string c, std::string m) : status(s), code(std::move(c)), message(std::move(m)) {}

  int status = 500;
  std::string code;
  std::string message;
};

template <class T>
using result = boost::system::result<T, api_error>;

http_response error_response(api_error const& e);

namespace errors {
api_error bad_request(std::string message);             // 400 0x0, the generic OData/Dataverse validation error
api_error no_resource(std::string_view url);            // 404 "No HTTP resource was found ..."
api_error segment_not_found(std::string_view segment);  // 404 0x8006088a
api_error unknown_property(std::string_view property, std::string_view logical_name);     // 400 0x0
api_error undeclared_property(std::string_view property, std::string_view logical_name);  // 400 0x0
api_error not_supported_with_tracking(std::string_view option);                           // 400, documented wording
api_error not_implemented(std::string message);                                           // 501, outside the emulator
api_error method_not_allowed(std::string_view method);                                    // 405
api_error expired_token(int status);                                                      // 0x80044352
api_error invalid_key(std::string_view logical_name);                                     // 400, documented wording
api_error duplicate_key(std::string_view key_name, std::string_view attributes);          // 412 0x80060892
api_error duplicate_id();                                                                 // 412 0x80040237
api_error row_not_found(std::string_view logical_name, std::string_view id);              // 404 0x80040217
api_error row_not_found_by_key(std::string_view logical_name);                            // 404 0x80040217
api_error version_mismatch();                                                             // 412 0x80060882
api_error validation(std::string message);                                                // 400 0x80044331
api_error internal(std::string message);                                                  // 500
}  // namespace errors

}  // namespace emulator
