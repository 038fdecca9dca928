#include "server/assertion.hpp"

#include "server/base64.hpp"

#include <boost/json.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <ctime>
#include <stdexcept>
#include <vector>

namespace emulator {
namespace {

namespace json = boost::json;

struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;

std::string hex_upper(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string digest(X509* certificate, EVP_MD const* md) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(certificate, md, buf, &n);
  return std::string(reinterpret_cast<char const*>(buf), n);
}

std::optional<json::object> decode_json_part(std::string_view part) {
  auto text = decode_base64url(part);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

std::optional<std::string> string_member(json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::int64_t> seconds_member(json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

std::chrono::system_clock::time_point to_time_point(ASN1_TIME const* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

bool signature_verifies(X509* certificate, std::string_view alg, std::string_view signing_input, std::string_view signature) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1) return false;
  if (alg == "PS256") {
    // RFC 7518 3.5: MGF1 with SHA-256, salt as long as the hash.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)
      return false;
  }
  int const ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(signature.data()), signature.size(),
                                  reinterpret_cast<unsigned char const*>(signing_input.data()), signing_input.size());
  ERR_clear_error();
  return ok == 1;
}

assertion_refusal malformed(std::string why) {
  return {50027, "JWT token is invalid or malformed. [Reason - " + std::move(why) + "]"};
}

}  // namespace

struct registered_certificates::impl {
  std::vector<x509_ptr> certificates;
};

registered_certificates::registered_certificates(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
registered_certificates::registered_certificates(registered_certificates&&) noexcept = default;
registered_certificates& registered_certificates::operator=(registered_certificates&&) noexcept = default;
registered_certificates::~registered_certificates() = default;

registered_certificates registered_certificates::from_pem(std::string_view pem, std::string const& origin) {
  auto i = std::make_unique<impl>();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) i->certificates.emplace_back(x);
  ERR_clear_error();
  if (i->certificates.empty()) throw std::runtime_error(origin + ": no PEM certificate in it");
  return registered_certificates(std::move(i));
}

std::optional<assertion_refusal> registered_certificates::verify(std::string_view assertion,
                                                                 std::string_view token_endpoint,
                                                                 std::string_view client_id,
                                                                 std::chrono::system_clock::time_point now) const {
  auto const first_dot = assertion.find('.');
  auto const second_dot = first_dot == std::string_view::npos ? first_dot : assertion.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || assertion.find('.', second_dot + 1) != std::string_view::npos)
    return malformed("not three base64url parts");
  auto header = decode_json_part(assertion.substr(0, first_dot));
  auto payload = decode_json_part(assertion.substr(first_dot + 1, second_dot - first_dot - 1));
  auto signature = decode_base64url(assertion.substr(second_dot + 1));
  if (!header || !payload || !signature) return malformed("a part is not base64url JSON");

  auto alg = string_member(*header, "alg");
  if (!alg || (*alg != "PS256" && *alg != "RS256")) return malformed("alg must be PS256 or RS256");
  auto x5t_s256 = string_member(*header, "x5t#S256");
  auto x5t = string_member(*header, "x5t");
  if (!x5t_s256 && !x5t) return malformed("the header has no x5t#S256 or x5t thumbprint");
  std::string const presented = x5t_s256 ? *x5t_s256 : *x5t;
  auto presented_bytes = decode_base64url(presented);

  X509* match = nullptr;
  for (auto const& c : impl_->certificates) {
    std::string const expected = x5t_s256 ? digest(c.get(), EVP_sha256()) : digest(c.get(), EVP_sha1());
    if (presented_bytes && *presented_bytes == expected) match = c.get();
  }
  std::string const thumbprint_text = presented_bytes ? hex_upper(*presented_bytes) : presented;
  if (match == nullptr)
    return assertion_refusal{700027,
                             "The certificate with identifier used to sign the client assertion is not registered on "
                             "application. [Reason - The key was not found., Thumbprint of key used by client: '" +
                                 thumbprint_text + "']"};
  if (now >= to_time_point(X509_get0_notAfter(match)) || now < to_time_point(X509_get0_notBefore(match)))
    return assertion_refusal{700027, "Client assertion contains an invalid signature. [Reason - The key used is expired., "
                                     "Thumbprint of key used by client: '" + thumbprint_text + "']"};
  if (!signature_verifies(match, *alg, assertion.substr(0, second_dot), *signature))
    return assertion_refusal{700027, "Client assertion contains an invalid signature. [Reason - The signature does not "
                                     "verify with the key registered for thumbprint '" + thumbprint_text + "']"};

  if (string_member(*payload, "aud") != std::string(token_endpoint))
    return malformed("aud must be the token endpoint " + std::string(token_endpoint));
  if (string_member(*payload, "iss") != std::string(client_id) || string_member(*payload, "sub") != std::string(client_id))
    return malformed("iss and sub must be the client id " + std::string(client_id));
  auto jti = string_member(*payload, "jti");
  if (!jti || jti->empty()) return malformed("no jti");
  auto nbf = seconds_member(*payload, "nbf");
  auto exp = seconds_member(*payload, "exp");
  if (!exp) return malformed("no exp");
  auto const t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  constexpr std::int64_t skew = 300;
  if (t > *exp + skew || (nbf && t + skew < *nbf))
    return assertion_refusal{700024, "Client assertion is not within its valid time range. Current time: " +
                                         std::to_string(t) + ", assertion valid from " +
                                         (nbf ? std::to_string(*nbf) : std::string("-")) + " to " + std::to_string(*exp)};
  return std::nullopt;
}

}  // namespace emulator
