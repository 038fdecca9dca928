#include "certificates.hpp"

#include "process.hpp"
#include "programs.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

namespace dvsync::test {
namespace {

class openssl {
 public:
  explicit openssl(std::string dir) : dir_(std::move(dir)) {}

  void operator()(std::vector<std::string> args) const {
    args.insert(args.begin(), openssl_binary());
    auto r = run_process(args, {}, std::chrono::seconds(60));
    if (r.exit_code != 0) throw std::runtime_error(fmt::format("{} failed:\n{}{}", fmt::join(args, " "), r.out, r.err));
  }

  std::string path(std::string const& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

std::vector<std::string> const new_ec_key = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};

std::vector<std::string> operator+(std::vector<std::string> a, std::vector<std::string> const& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// `openssl ca` is the openssl 3.0 command that sets arbitrary validity dates; each CA section has
// its own database and serial.
std::string ca_config(openssl const& o) {
  std::string text;
  for (std::string name : {"test_ca", "other_ca"}) {
    text += fmt::format(
        "[{0}]\n"
        "database = {1}.index\n"
        "new_certs_dir = {2}\n"
        "serial = {1}.serial\n"
        "certificate = {1}.pem\n"
        "private_key = {1}.key\n"
        "default_md = sha256\n"
        "policy = any_name\n"
        "unique_subject = no\n"
        "copy_extensions = none\n",
        name, o.path(name), o.path(""));
    write_file(o.path(name + ".index"), "");
    write_file(o.path(name + ".serial"), name == "test_ca" ? "1000\n" : "2000\n");
  }
  text += "[any_name]\ncommonName = supplied\n";
  return text;
}

void make_ca(openssl const& o, std::string const& name, std::string const& subject) {
  o(std::vector<std::string>{"req", "-x509"} + new_ec_key +
    std::vector<std::string>{"-keyout", o.path(name + ".key"), "-out", o.path(name + ".pem"), "-days", "30", "-subj", subject,
                             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

key_pair leaf(openssl const& o, std::string const& ca, std::string const& name, std::string const& san, std::string const& start,
              std::string const& end) {
  write_file(o.path(name + ".ext"), fmt::format("basicConstraints = critical, CA:FALSE\n"
                                                "keyUsage = critical, digitalSignature\n"
                                                "extendedKeyUsage = serverAuth\n"
                                                "subjectAltName = {}\n",
                                                san));
  o(std::vector<std::string>{"req", "-new"} + new_ec_key +
    std::vector<std::string>{"-keyout", o.path(name + ".key"), "-out", o.path(name + ".csr"), "-subj", "/CN=" + name});
  o({"ca", "-batch", "-config", o.path("ca.cnf"), "-name", ca, "-notext", "-in", o.path(name + ".csr"), "-out",
     o.path(name + ".pem"), "-startdate", start, "-enddate", end, "-extfile", o.path(name + ".ext")});
  return {o.path(name + ".pem"), o.path(name + ".key")};
}

}  // namespace

std::string openssl_binary() {
  auto path = program_on_path("openssl");
  if (!path) throw std::runtime_error("the openssl command is not on PATH (Debian package openssl)");
  return *path;
}

test_certificates make_test_certificates(std::string const& dir) {
  openssl const o(dir);
  write_file(o.path("ca.cnf"), ca_config(o));
  make_ca(o, "test_ca", "/CN=dvsync test CA");
  make_ca(o, "other_ca", "/CN=someone else's CA");

  std::string const local = "IP:127.0.0.1, DNS:localhost";
  std::string const from = "20200101000000Z", to = "20991231000000Z";
  test_certificates c;
  c.ca = o.path("test_ca.pem");
  c.good = leaf(o, "test_ca", "good", local, from, to);
  c.expired = leaf(o, "test_ca", "expired", local, from, "20200131000000Z");
  c.wrong_host = leaf(o, "test_ca", "wrong_host", "DNS:wrong.example.com", from, to);
  c.unknown_ca = leaf(o, "other_ca", "unknown_ca", local, from, to);
  o(std::vector<std::string>{"req", "-x509"} + new_ec_key +
    std::vector<std::string>{"-keyout", o.path("self_signed.key"), "-out", o.path("self_signed.pem"), "-days", "30", "-subj",
                             "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext",
                             "basicConstraints=critical,CA:FALSE"});
  c.self_signed = {o.path("self_signed.pem"), o.path("self_signed.key")};
  return c;
}

}  // namespace dvsync::test
