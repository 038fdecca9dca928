#include "auth/certificate.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <ctime>

namespace dvsync::auth {

using core::errc;

namespace {

struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using bio_ptr = std::unique_ptr<BIO, bio_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;

std::string openssl_reason() {
  unsigned long const code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::chrono::system_clock::time_point to_time_point(ASN1_TIME const* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string utc_text(std::chrono::system_clock::time_point t) {
  std::time_t const s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

bio_ptr memory_bio(std::string_view pem) {
  return bio_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

struct client_certificate::impl {
  x509_ptr certificate;
  pkey_ptr key;
  std::string thumbprint;
};

client_certificate::client_certificate(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
client_certificate::client_certificate(client_certificate&&) noexcept = default;
client_certificate& client_certificate::operator=(client_certificate&&) noexcept = default;
client_certificate::~client_certificate() = default;

core::result<client_certificate> client_certificate::from_pem(std::string_view pem, std::string const& origin) {
  auto fail = [&](std::string const& why) { return core::make_error(errc::config_invalid, origin + ": " + why); };
  auto i = std::make_unique<impl>();
  // Each reader scans the whole text for its own block, so the order in the file does not matter.
  if (auto bio = memory_bio(pem)) i->certificate.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!i->certificate) {
    ERR_clear_error();
    return fail("no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
  }
  // An encrypted key would need a passphrase that dvsync has nowhere to keep: refuse it plainly.
  if (auto bio = memory_bio(pem)) i->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!i->key) {
    ERR_clear_error();
    return fail("no unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----) in it");
  }
  if (X509_check_private_key(i->certificate.get(), i->key.get()) != 1) {
    ERR_clear_error();
    return fail("the private key does not belong to the certificate");
  }
  if (EVP_PKEY_get_base_id(i->key.get()) != EVP_PKEY_RSA)
    return fail("the key is not an RSA key; Entra ID's certificate credentials are signed with PS256 (RSA)");

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(i->certificate.get(), EVP_sha256(), digest, &length) != 1)
    return fail("cannot compute the certificate's thumbprint: " + openssl_reason());
  i->thumbprint.assign(reinterpret_cast<char const*>(digest), length);
  return client_certificate(std::move(i));
}

std::string const& client_certificate::sha256_thumbprint() const { return impl_->thumbprint; }

std::chrono::system_clock::time_point client_certificate::not_before() const {
  return to_time_point(X509_get0_notBefore(impl_->certificate.get()));
}

std::chrono::system_clock::time_point client_certificate::not_after() const {
  return to_time_point(X509_get0_notAfter(impl_->certificate.get()));
}

std::string client_certificate::subject() const {
  bio_ptr out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), X509_get_subject_name(impl_->certificate.get()), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long const n = BIO_get_mem_data(out.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

core::result<std::string> client_certificate::sign_ps256(std::string_view data) const {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  auto fail = [] { return core::make_error(errc::io, "cannot sign the client assertion: " + openssl_reason()); };
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, impl_->key.get()) != 1) return fail();
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)
    return fail();
  std::size_t size = 0;
  auto const* bytes = reinterpret_cast<unsigned char const*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, bytes, data.size()) != 1) return fail();
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, bytes, data.size()) != 1)
    return fail();
  signature.resize(size);
  return signature;
}

std::optional<std::string> validity_problem(client_certificate const& c, std::chrono::system_clock::time_point now) {
  if (now >= c.not_after())
    return fmt::format("the certificate ({}) expired on {}; upload a new one to the app registration and install it here",
                       c.subject(), utc_text(c.not_after()));
  if (now < c.not_before())
    return fmt::format("the certificate ({}) is not valid before {}", c.subject(), utc_text(c.not_before()));
  return std::nullopt;
}

}  // namespace dvsync::auth
