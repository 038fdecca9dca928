#include "test_pki.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace dvsync::testing {

namespace fs = std::filesystem;

namespace {

std::string quote(std::string const& s) { return "'" + s + "'"; }

void write_file(fs::path const& path, std::string const& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

class openssl_runner {
 public:
  explicit openssl_runner(fs::path dir) : dir_(std::move(dir)), log_(dir_ / "openssl.log") {}

  void operator()(std::string const& args) const {
    std::string const command = "cd " + quote(dir_.string()) + " && openssl " + args + " >>" + quote(log_.string()) + " 2>&1";
    if (std::system(command.c_str()) != 0) {
      std::ifstream in(log_);
      std::stringstream text;
      text << in.rdbuf();
      throw std::runtime_error("openssl " + args + " failed:\n" + text.str());
    }
  }

 private:
  fs::path dir_;
  fs::path log_;
};

constexpr char const* new_ec_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

std::string leaf_extensions(std::string const& san) {
  return "basicConstraints = critical, CA:FALSE\n"
         "keyUsage = critical, digitalSignature\n"
         "extendedKeyUsage = serverAuth\n"
         "subjectAltName = " + san + "\n";
}

// `openssl ca` is the one openssl 3.0 command that sets arbitrary validity dates.
tls_files ca_signed_leaf(openssl_runner const& openssl, fs::path const& dir, std::string const& name, std::string const& san,
                         std::string const& start, std::string const& end) {
  write_file(dir / (name + ".ext"), leaf_extensions(san));
  openssl("req -new " + std::string(new_ec_key) + " -keyout " + name + ".key -out " + name + ".csr -subj /CN=" + name);
  openssl("ca -batch -config ca.cnf -notext -in " + name + ".csr -out " + name + ".pem -startdate " + start + " -enddate " +
          end + " -extfile " + name + ".ext");
  return tls_files{(dir / (name + ".pem")).string(), (dir / (name + ".key")).string()};
}

test_pki generate() {
  std::string pattern = (fs::temp_directory_path() / "dvsync-pki-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  fs::path const dir = pattern;
  openssl_runner const openssl(dir);

  write_file(dir / "ca.cnf",
             "[ca]\n"
             "default_ca = test_ca\n"
             "[test_ca]\n"
             "dir = " + dir.string() + "\n"
             "database = $dir/index.txt\n"
             "new_certs_dir = $dir\n"
             "serial = $dir/serial\n"
             "certificate = $dir/ca.pem\n"
             "private_key = $dir/ca.key\n"
             "default_md = sha256\n"
             "policy = any_name\n"
             "unique_subject = no\n"
             "copy_extensions = none\n"
             "[any_name]\n"
             "commonName = supplied\n");
  write_file(dir / "index.txt", "");
  write_file(dir / "serial", "1000\n");

  openssl("req -x509 " + std::string(new_ec_key) + " -keyout ca.key -out ca.pem -days 30 -subj '/CN=dvsync test CA'"
          " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");

  test_pki pki;
  pki.dir = dir.string();
  pki.ca_cert = (dir / "ca.pem").string();
  std::string const local = "IP:127.0.0.1, DNS:localhost";
  pki.good = ca_signed_leaf(openssl, dir, "good", local, "20200101000000Z", "20991231000000Z");
  pki.expired = ca_signed_leaf(openssl, dir, "expired", local, "20200101000000Z", "20200131000000Z");
  pki.wrong_host = ca_signed_leaf(openssl, dir, "wrong_host", "DNS:wrong.example.com", "20200101000000Z", "20991231000000Z");

  openssl("req -x509 " + std::string(new_ec_key) + " -keyout self_signed.key -out self_signed.pem -days 30 -subj /CN=localhost"
          " -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' -addext basicConstraints=critical,CA:FALSE");
  pki.self_signed = tls_files{(dir / "self_signed.pem").string(), (dir / "self_signed.key").string()};
  return pki;
}

// Removes the directory when the test process exits.
struct pki_holder {
  test_pki pki = generate();
  ~pki_holder() {
    std::error_code ec;
    fs::remove_all(pki.dir, ec);
  }
};

}  // namespace

test_pki const& test_pki::instance() {
  static pki_holder const holder;
  return holder.pki;
}

}  // namespace dvsync::testing
