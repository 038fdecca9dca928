# dvsync_options: warnings and sanitizers for every target of ours, without editing global flags.
option(DVSYNC_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_library(dvsync_options INTERFACE)
target_compile_options(dvsync_options INTERFACE -Wall -Wextra -Wpedantic)
if(PROJECT_IS_TOP_LEVEL)
  target_compile_options(dvsync_options INTERFACE -Werror)
endif()
# GCC 12 at -O3 (Release) warns -Wrestrict inside libstdc++ for "literal" + std::string&&, a false
# positive (GCC bug 105651, fixed in 13).
# GCC 12 at -O2 also warns -Wmismatched-new-delete when it inlines the destruction of a coroutine
# frame whose promise has a sized class-specific operator delete (Asio's awaitable frames): the
# frame was allocated by the matching operator new, so this is a false positive too.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(dvsync_options INTERFACE -Wno-restrict -Wno-mismatched-new-delete)
endif()
# Boost.Asio needs this to stay header-consistent across translation units. (Beast's string_view is
# Boost's own: BOOST_BEAST_USE_STD_STRING_VIEW is deprecated in 1.81 and warned on every file.)
target_compile_definitions(dvsync_options INTERFACE BOOST_ASIO_NO_DEPRECATED)
if(DVSYNC_SANITIZE)
  target_compile_options(dvsync_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # GCC 12's flow analysis under the sanitizers reports std::regex's own members as maybe
  # uninitialized (web_api_test); the plain builds keep the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(dvsync_options INTERFACE -Wno-maybe-uninitialized)
  endif()
  target_link_options(dvsync_options INTERFACE -fsanitize=address,undefined)
endif()

# Test-only crash points (daemon/core/crash_point.hpp) for the reliability suite; Release builds,
# which are what users and benchmarks run, leave them out.
if(CMAKE_BUILD_TYPE STREQUAL "Release" OR CMAKE_BUILD_TYPE STREQUAL "MinSizeRel")
  set(dvsync_crash_points_default OFF)
else()
  set(dvsync_crash_points_default ON)
endif()
option(DVSYNC_CRASH_POINTS "Compile the test-only crash points (DVSYNC_CRASH_AT)" ${dvsync_crash_points_default})
