#pragma once
// RFC 6761 §6.3: "localhost" and every name under ".localhost" are the loopback host, and name
// resolution APIs should answer them without asking the system's resolver. dvsync does so, as curl
// does: a minimal root (debootstrap, a container image) has no /etc/hosts, so glibc cannot resolve
// "localhost" there, and a DNS server may answer anything for it.
#include <string>
#include <string_view>
#include <vector>

namespace dvsync::http {

// The loopback addresses a localhost name stands for, in the order to try them: 127.0.0.1 first,
// where the emulator and a metrics.listen of "localhost" bind, then ::1. Empty for any other host.
// Names are compared without regard to case; one trailing dot (the DNS root) is allowed.
std::vector<std::string> localhost_addresses(std::string_view host);

}  // namespace dvsync::http
