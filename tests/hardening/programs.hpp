#pragma once
// Commands the tests run besides dvsync and the emulator (openssl, setpriv). The harness starts
// programs by path, so they are looked up on PATH here.
#include <optional>
#include <string>

namespace dvsync::test {

// The first executable `name` on PATH; nullopt when there is none.
std::optional<std::string> program_on_path(std::string const& name);

}  // namespace dvsync::test
