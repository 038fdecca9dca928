#pragma once
// The bookkeeping schema's migrations, in order; version N is the Nth file in schema/CMakeLists.txt.
#include <span>
#include <string_view>

namespace dvsync::schema {

struct migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::span<const migration> migrations();

}  // namespace dvsync::schema
