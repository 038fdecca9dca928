// The emulator's check of certificate credentials, with assertions made here by OpenSSL directly
// (not by the daemon's code): what Entra ID accepts and the AADSTS reason of each refusal.
#include "client_certificate.hpp"
#include "server/assertion.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

namespace emulator {
namespace {

using namespace std::chrono_literals;
using dvsync::test::make_client_certificate;
using dvsync::test::pem_pair;

std::string b64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<unsigned char const*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string thumbprint(pem_pair const& p, EVP_MD const* md) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(p.certificate.data(), -1), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(x.get(), md, d, &n);
  return std::string(reinterpret_cast<char*>(d), n);
}

struct assertion_spec {
  std::string alg = "PS256";
  bool sha1_thumbprint = false;
  std::string aud = "http://127.0.0.1:1/t/oauth2/v2.0/token";
  std::string iss = "client-1";
  std::string sub = "client-1";
  std::int64_t nbf_offset_s = 0;
  std::int64_t exp_offset_s = 600;
};

std::string sign(pem_pair const& signer, pem_pair const& named, assertion_spec const& s) {
  boost::json::object header{{"alg", s.alg}, {"typ", "JWT"}};
  if (s.sha1_thumbprint)
    header["x5t"] = b64url(thumbprint(named, EVP_sha1()));
  else
    header["x5t#S256"] = b64url(thumbprint(named, EVP_sha256()));
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  boost::json::object payload{{"aud", s.aud}, {"iss", s.iss}, {"sub", s.sub}, {"jti", "j-1"},
                              {"nbf", now + s.nbf_offset_s}, {"exp", now + s.exp_offset_s}};
  std::string input = b64url(boost::json::serialize(header)) + "." + b64url(boost::json::serialize(payload));

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(signer.key.data(), -1), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          &EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get());
  if (s.alg == "PS256") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  std::size_t size = 0;
  EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<unsigned char const*>(input.data()), input.size());
  std::string sig(size, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                 reinterpret_cast<unsigned char const*>(input.data()), input.size());
  sig.resize(size);
  return input + "." + b64url(sig);
}

class assertion_test : public ::testing::Test {
 protected:
  pem_pair registered_ = make_client_certificate("registered", -1h, 24h);
  registered_certificates certificates_ = registered_certificates::from_pem(registered_.certificate, "test");

  std::optional<assertion_refusal> verify(std::string const& jwt) const {
    return certificates_.verify(jwt, "http://127.0.0.1:1/t/oauth2/v2.0/token", "client-1", std::chrono::system_clock::now());
  }
};

TEST_F(assertion_test, accepts_ps256_with_x5t_s256_and_rs256_with_the_older_sha1_x5t) {
  EXPECT_FALSE(verify(sign(registered_, registered_, {})));
  assertion_spec rs256;
  rs256.alg = "RS256";
  rs256.sha1_thumbprint = true;
  EXPECT_FALSE(verify(sign(registered_, registered_, rs256)));
}

TEST_F(assertion_test, an_unregistered_thumbprint_is_700027_key_not_found) {
  auto other = make_client_certificate("other", -1h, 24h);
  auto refusal = verify(sign(other, other, {}));
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->aadsts, 700027);
  EXPECT_NE(refusal->description.find("is not registered on application. [Reason - The key was not found."),
            std::string::npos);
}

TEST_F(assertion_test, a_signature_by_another_key_under_the_registered_thumbprint_is_refused) {
  auto other = make_client_certificate("other", -1h, 24h);
  auto refusal = verify(sign(other, registered_, {}));
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->aadsts, 700027);
  EXPECT_NE(refusal->description.find("invalid signature"), std::string::npos);
  // PS256 named but PKCS#1 v1.5 signed: not the same algorithm.
  assertion_spec mislabelled;
  mislabelled.alg = "RS256";
  auto jwt = sign(registered_, registered_, mislabelled);
  auto header_end = jwt.find('.');
  boost::json::object ps256_header{{"alg", "PS256"}, {"typ", "JWT"},
                                   {"x5t#S256", b64url(thumbprint(registered_, EVP_sha256()))}};
  EXPECT_TRUE(verify(b64url(boost::json::serialize(ps256_header)) + jwt.substr(header_end)));
}

TEST_F(assertion_test, an_expired_registered_certificate_is_700027_key_expired) {
  auto old = make_client_certificate("old", -48h, -1h);
  auto certificates = registered_certificates::from_pem(old.certificate, "test");
  auto refusal = certificates.verify(sign(old, old, {}), "http://127.0.0.1:1/t/oauth2/v2.0/token", "client-1",
                                     std::chrono::system_clock::now());
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->aadsts, 700027);
  EXPECT_NE(refusal->description.find("The key used is expired"), std::string::npos);
}

TEST_F(assertion_test, wrong_claims_and_times_are_refused) {
  assertion_spec aud;
  aud.aud = "http://127.0.0.1:1/other/oauth2/v2.0/token";
  EXPECT_EQ(verify(sign(registered_, registered_, aud)).value_or(assertion_refusal{}).aadsts, 50027);
  assertion_spec iss;
  iss.iss = "client-2";
  EXPECT_EQ(verify(sign(registered_, registered_, iss)).value_or(assertion_refusal{}).aadsts, 50027);
  assertion_spec stale;
  stale.nbf_offset_s = -3600;
  stale.exp_offset_s = -1200;
  EXPECT_EQ(verify(sign(registered_, registered_, stale)).value_or(assertion_refusal{}).aadsts, 700024);
  assertion_spec early;
  early.nbf_offset_s = 1200;
  early.exp_offset_s = 1800;
  EXPECT_EQ(verify(sign(registered_, registered_, early)).value_or(assertion_refusal{}).aadsts, 700024);
  for (auto const* junk : {"", "a.b", "a.b.c.d", "!!.??.**"})
    EXPECT_EQ(verify(junk).value_or(assertion_refusal{}).aadsts, 50027) << junk;
}

TEST(registered_certificates, a_pem_without_a_certificate_is_refused_naming_its_origin) {
  auto key_only = make_client_certificate("k", -1h, 1h).key;
  EXPECT_THROW(registered_certificates::from_pem(key_only, "--client-certificate k.pem"), std::runtime_error);
}

}  // namespace
}  // namespace emulator
