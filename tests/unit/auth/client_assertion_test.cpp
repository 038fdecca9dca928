// Certificate credentials: the PEM file read as the daemon reads it, and the client assertion
// checked field by field and signature by signature with OpenSSL directly, against the format
// Microsoft documents (learn.microsoft.com/entra/identity-platform/certificate-credentials).
#include "auth/client_assertion.hpp"
#include "auth/credential.hpp"
#include "auth/token_provider.hpp"
#include "core/base64.hpp"
#include "client_certificate.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

namespace dvsync::auth {
namespace {

using namespace std::chrono_literals;
using test::key_type;
using test::make_client_certificate;

std::string base64url_decode(std::string_view in) {
  std::string standard(in);
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (standard.size() % 4 != 0) standard += '=';
  std::string out(standard.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<unsigned char const*>(standard.data()), static_cast<int>(standard.size()));
  EXPECT_GE(n, 0) << in;
  out.resize(static_cast<std::size_t>(n) - (in.size() % 4 == 2 ? 2 : in.size() % 4 == 3 ? 1 : 0));
  return out;
}

std::vector<std::string> split_jwt(std::string const& jwt) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = jwt.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(jwt.substr(start, dot - start));
  parts.push_back(jwt.substr(start));
  return parts;
}

std::unique_ptr<X509, decltype(&X509_free)> read_certificate(std::string const& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return {PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free};
}

bool verifies_ps256(X509* certificate, std::string const& input, std::string const& signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, X509_get0_pubkey(certificate));
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(signature.data()), signature.size(),
                          reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
}

using core::base64url;

TEST(base64url, encodes_the_rfc_4648_vectors_without_padding) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("foob"), "Zm9vYg");
  EXPECT_EQ(base64url("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url("\xfb\xff\xbf"), "-_-_");  // the two characters that differ from base64
}

TEST(base64, encodes_the_rfc_4648_vectors_with_padding) {
  EXPECT_EQ(core::base64(""), "");
  EXPECT_EQ(core::base64("f"), "Zg==");
  EXPECT_EQ(core::base64("fo"), "Zm8=");
  EXPECT_EQ(core::base64("foo"), "Zm9v");
  EXPECT_EQ(core::base64("foob"), "Zm9vYg==");
  EXPECT_EQ(core::base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(core::base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(core::base64("\xfb\xff\xbf"), "+/+/");
}

TEST(assertion_id, is_a_random_version_4_uuid) {
  auto a = new_assertion_id();
  auto b = new_assertion_id();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos) << a;
}

TEST(client_assertion, has_the_documented_header_claims_and_a_ps256_signature_of_the_certificate_key) {
  auto pem = make_client_certificate("dvsync-test", -1h, 24h);
  auto certificate = client_certificate::from_pem(pem.key + pem.certificate, "test");
  ASSERT_TRUE(certificate) << certificate.error().message;
  auto const issued = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  assertion_claims claims{"https://login.example/tenant/oauth2/v2.0/token", "client-1", "id-1", issued};
  auto jwt = make_client_assertion(*certificate, claims);
  ASSERT_TRUE(jwt) << jwt.error().message;

  auto parts = split_jwt(*jwt);
  ASSERT_EQ(parts.size(), 3u) << *jwt;
  auto header = boost::json::parse(base64url_decode(parts[0])).as_object();
  EXPECT_EQ(header.at("alg"), "PS256");
  EXPECT_EQ(header.at("typ"), "JWT");
  auto x509 = read_certificate(pem.certificate);
  unsigned char digest[32];
  unsigned int n = 0;
  X509_digest(x509.get(), EVP_sha256(), digest, &n);
  EXPECT_EQ(header.at("x5t#S256").as_string(), base64url(std::string(reinterpret_cast<char*>(digest), n)));
  EXPECT_EQ(certificate->sha256_thumbprint(), std::string(reinterpret_cast<char*>(digest), n));

  auto payload = boost::json::parse(base64url_decode(parts[1])).as_object();
  EXPECT_EQ(payload.at("aud"), "https://login.example/tenant/oauth2/v2.0/token");
  EXPECT_EQ(payload.at("iss"), "client-1");
  EXPECT_EQ(payload.at("sub"), "client-1");
  EXPECT_EQ(payload.at("jti"), "id-1");
  EXPECT_EQ(payload.at("nbf").to_number<std::int64_t>(), 1'800'000'000);
  EXPECT_EQ(payload.at("iat").to_number<std::int64_t>(), 1'800'000'000);
  EXPECT_EQ(payload.at("exp").to_number<std::int64_t>(), 1'800'000'600);

  std::string const input = parts[0] + "." + parts[1];
  std::string const signature = base64url_decode(parts[2]);
  EXPECT_EQ(signature.size(), 256u);  // RSA 2048
  EXPECT_TRUE(verifies_ps256(x509.get(), input, signature));
  EXPECT_FALSE(verifies_ps256(x509.get(), input + "x", signature));
  auto other = make_client_certificate("other", -1h, 24h);
  EXPECT_FALSE(verifies_ps256(read_certificate(other.certificate).get(), input, signature));
}

TEST(client_certificate, refuses_a_pem_without_certificate_or_key_a_foreign_key_and_an_ec_key) {
  auto pem = make_client_certificate("a", -1h, 24h);
  auto other = make_client_certificate("b", -1h, 24h);
  auto message = [](std::string const& text) {
    auto c = client_certificate::from_pem(text, "auth.client_certificate_file: /x.pem");
    EXPECT_FALSE(c);
    return c ? std::string() : c.error().message;
  };
  EXPECT_NE(message(pem.key).find("no PEM certificate"), std::string::npos);
  EXPECT_NE(message(pem.certificate).find("no unencrypted PEM private key"), std::string::npos);
  EXPECT_NE(message(pem.certificate + other.key).find("does not belong to the certificate"), std::string::npos);
  auto ec = make_client_certificate("ec", -1h, 24h, key_type::ec);
  EXPECT_NE(message(ec.certificate + ec.key).find("not an RSA key"), std::string::npos);
  EXPECT_EQ(message("").rfind("auth.client_certificate_file: /x.pem: ", 0), 0u);
  // Either order works.
  EXPECT_TRUE(client_certificate::from_pem(pem.certificate + pem.key, "t"));
}

TEST(client_certificate, an_expired_or_not_yet_valid_certificate_is_named_with_its_date) {
  auto now = std::chrono::system_clock::now();
  auto expired = client_certificate::from_pem([] {
    auto p = make_client_certificate("old", -48h, -24h);
    return p.certificate + p.key;
  }(), "t");
  ASSERT_TRUE(expired);
  auto problem = validity_problem(*expired, now);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("the certificate (CN=old) expired on 20"), std::string::npos) << *problem;
  auto future = client_certificate::from_pem([] {
    auto p = make_client_certificate("new", 24h, 48h);
    return p.certificate + p.key;
  }(), "t");
  ASSERT_TRUE(future);
  EXPECT_NE(validity_problem(*future, now).value_or("").find("is not valid before"), std::string::npos);
  auto fine = client_certificate::from_pem([] {
    auto p = make_client_certificate("fine", -1h, 1h);
    return p.certificate + p.key;
  }(), "t");
  EXPECT_FALSE(validity_problem(*fine, now));
}

TEST(client_credential, a_certificate_sends_an_assertion_and_never_a_secret) {
  auto pem = make_client_certificate("c", -1h, 24h);
  auto credential = client_credential::from_certificate(*client_certificate::from_pem(pem.certificate + pem.key, "t"));
  token_endpoint endpoint{"https://login.example/t/oauth2/v2.0/token", "client-1", "https://org.example/.default"};
  auto fields = credential.form_fields(endpoint, std::chrono::system_clock::now());
  ASSERT_TRUE(fields) << fields.error().message;
  ASSERT_EQ(fields->size(), 2u);
  EXPECT_EQ((*fields)[0].first, "client_assertion_type");
  EXPECT_EQ((*fields)[0].second, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ((*fields)[1].first, "client_assertion");
  auto body = token_request_body(endpoint, *fields);
  EXPECT_EQ(body.find("client_secret"), std::string::npos) << body;
  EXPECT_NE(body.find("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"),
            std::string::npos)
      << body;
  // Each request gets its own assertion (its own jti).
  auto again = credential.form_fields(endpoint, std::chrono::system_clock::now());
  EXPECT_NE((*again)[1].second, (*fields)[1].second);
  // Past the certificate's end the credential says so instead of signing.
  auto late = credential.form_fields(endpoint, std::chrono::system_clock::now() + 48h);
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("expired on"), std::string::npos);
}

}  // namespace
}  // namespace dvsync::auth
