// Certificate credentials end to end (issue 14, item 3): the real dvsync, configured with
// auth.client_certificate_file and no secret anywhere, against the real emulator with the
// certificate registered (--client-certificate). A certificate the application does not know, an
// expired one, one that others can read and a key that is not the certificate's are clear errors.
#include "client_certificate.hpp"
#include "fixture.hpp"

#include <fmt/format.h>

namespace dvsync::test {
namespace {

using namespace std::chrono_literals;

class certificate_test : public daemon_test {
 protected:
  // Writes `pem` as the client certificate file (mode 0600 unless told) and a config naming it.
  std::string use_certificate(std::string const& pem, unsigned mode = 0600) {
    auto path = (dir_ / "client.pem").string();
    write_file(path, pem, mode);
    write_file(config_path_, fmt::format(R"({{
  "dataverse": {{ "url": "{0}" }},
  "auth": {{ "authority": "{0}", "tenant_id": "contoso", "client_id": "{1}", "client_certificate_file": "{2}" }},
  "database": {{ "path": "{3}" }},
  "sync": {{ "max_attempts": 2, "backoff_base_s": 1, "backoff_cap_s": 1 }},
  "tables": [ {{ "logical_name": "sample_book", "key": "sample_bookcode" }} ]
}})",
                                         emulator_->origin(), emulator_client_id, path, db_path_));
    return path;
  }

  // dvsync without DVSYNC_CLIENT_SECRET or CREDENTIALS_DIRECTORY: the certificate is all it has.
  process_result run(std::vector<std::string> args) {
    args.insert(args.begin(), dvsync_binary());
    args.push_back("--config");
    args.push_back(config_path_);
    return run_process(args, {{"DVSYNC_CLIENT_SECRET", ""}, {"CREDENTIALS_DIRECTORY", ""}});
  }

  void register_certificates(std::string const& pem) {
    auto path = (dir_ / "registered.pem").string();
    write_file(path, pem);
    start_emulator({"--client-certificate", path, "--seed", "sample"});
  }
};

TEST_F(certificate_test, a_registered_certificate_signs_in_and_syncs_without_any_secret) {
  auto pem = make_client_certificate("dvsync-contoso", -1h, 24h * 365);
  register_certificates(pem.certificate);
  use_certificate(pem.certificate + pem.key);
  auto check = run({"check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  auto r = run({"once"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sample_book: initial sync, 1 page, 10 upserts"), std::string::npos) << r.out;
  EXPECT_EQ(mirror().size(), 10u);
}

TEST_F(certificate_test, a_certificate_the_application_does_not_know_is_refused_with_entra_ids_reason) {
  auto registered = make_client_certificate("registered", -1h, 24h);
  auto other = make_client_certificate("other", -1h, 24h);
  register_certificates(registered.certificate);
  use_certificate(other.certificate + other.key);
  auto r = run({"once"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("AADSTS700027: The certificate with identifier used to sign the client assertion is not "
                       "registered on application"),
            std::string::npos)
      << r.err;
}

TEST_F(certificate_test, an_expired_certificate_is_a_configuration_error_naming_its_end_date) {
  auto expired = make_client_certificate("dvsync-old", -48h, -1h);
  register_certificates(expired.certificate);
  use_certificate(expired.certificate + expired.key);
  for (auto const* command : {"check-config", "once"}) {
    auto r = run({command});
    EXPECT_EQ(r.exit_code, 78) << command << ": " << r.err;
    EXPECT_NE(r.err.find("auth.client_certificate_file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("the certificate (CN=dvsync-old) expired on 20"), std::string::npos) << r.err;
  }
  // Caught before anything is sent (the emulator's own refusal of an expired key is in its tests).
  EXPECT_EQ(requests("/oauth2/v2.0/token"), 0u);
}

TEST_F(certificate_test, a_private_key_others_can_read_or_a_key_of_another_certificate_is_refused) {
  auto pem = make_client_certificate("a", -1h, 24h);
  auto other = make_client_certificate("b", -1h, 24h);
  register_certificates(pem.certificate);
  use_certificate(pem.certificate + pem.key, 0644);
  auto readable = run({"check-config"});
  EXPECT_EQ(readable.exit_code, 78);
  EXPECT_NE(readable.err.find("is readable by group or others (mode 0644)"), std::string::npos) << readable.err;

  use_certificate(pem.certificate + other.key);
  auto mismatch = run({"check-config"});
  EXPECT_EQ(mismatch.exit_code, 78);
  EXPECT_NE(mismatch.err.find("the private key does not belong to the certificate"), std::string::npos) << mismatch.err;
}

TEST_F(certificate_test, a_certificate_and_a_secret_file_together_are_refused) {
  auto pem = make_client_certificate("a", -1h, 24h);
  register_certificates(pem.certificate);
  auto path = use_certificate(pem.certificate + pem.key);
  auto text = read_file(config_path_);
  text.replace(text.find("\"client_certificate_file\""), 0, "\"client_secret_file\": \"" + path + "\", ");
  write_file(config_path_, text);
  auto r = run({"check-config"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("set either client_certificate_file or client_secret_file, not both"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dvsync::test
