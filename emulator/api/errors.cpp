#include "errors.hpp"

#include "json_text.hpp"

namespace emulator {

http_response error_response(api_error const& e) {
  http_response r;
  r.status = e.status;
  r.headers = {{"OData-Version", "4.0"}, {"Content-Type", "application/json; odata.metadata=minimal"}};
  r.body = R"({"error":{"code":)";
  append_json_string(r.body, e.code);
  r.body += R"(,"message":)";
  append_json_string(r.body, e.message);
  r.body += "}}";
  return r;
}

namespace errors {
namespace {

std::string crm_type(std::string_view logical_name) {
  return "Microsoft.Dynamics.CRM." + std::string(logical_name);
}

}  // namespace

api_error bad_request(std::string message) {
  return {400, "0x0", std::move(message)};
}

api_error no_resource(std::string_view url) {
  return {404, "", "No HTTP resource was found that matches the request URI '" + std::string(url) + "'."};
}

api_error segment_not_found(std::string_view segment) {
  return {404, "0x8006088a", "Resource not found for the segment '" + std::string(segment) + "'."};
}

api_error unknown_property(std::string_view property, std::string_view logical_name) {
  return bad_request("Could not find a property named '" + std::string(property) + "' on type '" +
                     crm_type(logical_name) + "'.");
}

api_error undeclared_property(std::string_view property, std::string_view logical_name) {
  return bad_request("The property '" + std::string(property) + "' does not exist on type '" + crm_type(logical_name) +
                     "'. Make sure to only use property names that are defined by the type.");
}

api_error not_supported_with_tracking(std::string_view option) {
  return bad_request("The \"" + std::string(option) +
                     "\" query parameter isn't supported when Change Tracking is enabled.");
}

api_error not_implemented(std::string message) {
  return {501, "0x0", std::move(message)};
}

api_error method_not_allowed(std::string_view method) {
  return {405, "0x0", "The requested resource does not support http method '" + std::string(method) + "'."};
}

api_error expired_token(int status) {
  return {status, "0x80044352", "Version stamp associated with the client has expired. Please perform a full sync."};
}

api_error invalid_key(std::string_view logical_name) {
  std::string const type = crm_type(logical_name);
  return bad_request("The key in the request URI is not valid for resource '" + type +
                     "'. Ensure that the names and number of key properties match the declared or "
                     "alternate key properties for the resource '" +
                     type + "'.");
}

api_error duplicate_key(std::string_view key_name, std::string_view attributes) {
  return {412, "0x80060892",
          "Entity Key " + std::string(key_name) + " violated. A record with the same value for " +
              std::string(attributes) +
              " already exists. A duplicate record cannot be created. Select one or more unique values and try again."};
}

api_error duplicate_id() {
  return {412, "0x80040237", "Cannot insert duplicate key."};
}

api_error row_not_found(std::string_view logical_name, std::string_view id) {
  return {404, "0x80040217", std::string(logical_name) + " With Id = " + std::string(id) + " Does Not Exist"};
}

api_error row_not_found_by_key(std::string_view logical_name) {
  return {404, "0x80040217",
          "A record with the specified key values does not exist in " + std::string(logical_name) + " entity"};
}

api_error version_mismatch() {
  return {412, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided."};
}

api_error validation(std::string message) {
  return {400, "0x80044331", std::move(message)};
}

api_error internal(std::string message) {
  return {500, "0x80040216", std::move(message)};
}

}  // namespace errors
}  // namespace emulator
