// systemd credentials: relative *_file values are looked up in $CREDENTIALS_DIRECTORY
// (LoadCredential= in deploy/latchkey.service), absolute ones are used as written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "latchkey/config/config.h"
#include "support/temp_dir.h"

namespace latchkey {
namespace {

// A directory laid out like the one systemd makes for LoadCredential=, removed at the end.
class CredentialsDirectory : public testing::TempDir {
 public:
  void put(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
  }
};

// The keys every configuration needs, secrets left to the test.
constexpr char kBase[] =
    "client_id = my-client\n"
    "redirect_uri = https://app.example.com/login/authorized\n";
// base64 of "abcdefghijklmnopqrstuvwxyzABCDEF" (32 bytes).
constexpr char kCookieSecret[] = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXpBQkNERUY=";

std::string joined(const ConfigLoad& load) {
  std::string out;
  for (const auto& p : load.problems) {
    out += p + "\n";
  }
  return out;
}

TEST(ConfigCredentials, RelativeFileKeysAreReadFromTheCredentialsDirectory) {
  CredentialsDirectory creds;
  creds.put("client_secret", "from-systemd\n");
  creds.put("cookie_secret", std::string(kCookieSecret) + "\n");
  creds.put("emails", "alice@example.com\n");
  creds.put("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const auto load = parseConfig(std::string(kBase) +
                                    "client_secret_file = client_secret\n"
                                    "cookie_secret_file = cookie_secret\n"
                                    "allowed_emails_file = emails\n"
                                    "ca_file = ca.pem\n",
                                {{"CREDENTIALS_DIRECTORY", creds.path()}});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_EQ(load.config->client_secret, "from-systemd");
  EXPECT_EQ(load.config->cookie_secret, "abcdefghijklmnopqrstuvwxyzABCDEF");
  EXPECT_EQ(load.config->allowed_emails, std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(load.config->ca_file, creds.path() + "/ca.pem");
}

// The same relative names from the environment (LATCHKEY_CLIENT_SECRET_FILE=...) work too.
TEST(ConfigCredentials, EnvironmentValuesAreResolvedToo) {
  CredentialsDirectory creds;
  creds.put("secret", "env-secret");
  const auto load = parseConfig(
      std::string(kBase) + "cookie_secret = " + kCookieSecret + "\n",
      {{"CREDENTIALS_DIRECTORY", creds.path() + "/"}, {"LATCHKEY_CLIENT_SECRET_FILE", "secret"}});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_EQ(load.config->client_secret, "env-secret");
}

// A credential the unit does not load is reported with the full path latchkey tried.
TEST(ConfigCredentials, MissingCredentialNamesThePathTried) {
  CredentialsDirectory creds;
  const auto load = parseConfig(std::string(kBase) + "client_secret_file = client_secret\n" +
                                    "cookie_secret = " + kCookieSecret + "\n",
                                {{"CREDENTIALS_DIRECTORY", creds.path()}});
  ASSERT_FALSE(load.config);
  ASSERT_EQ(load.problems.size(), 1u) << joined(load);
  EXPECT_EQ(load.problems[0].rfind(
                "client_secret_file: cannot read " + creds.path() + "/client_secret (", 0),
            0u)
      << load.problems[0];
}

// Absolute paths stay as written; without the variable, relative paths stay relative to the
// working directory (the credentials directory is not guessed).
TEST(ConfigCredentials, AbsolutePathsAndNoVariableAreLeftAlone) {
  CredentialsDirectory creds;
  creds.put("client_secret", "absolute");
  const std::string absolute = std::string(kBase) + "client_secret_file = " + creds.path() +
                               "/client_secret\ncookie_secret = " + kCookieSecret + "\n";
  const auto load = parseConfig(absolute, {{"CREDENTIALS_DIRECTORY", "/nonexistent"}});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_EQ(load.config->client_secret, "absolute");

  const auto relative =
      parseConfig(std::string(kBase) + "client_secret_file = latchkey-no-such-credential\n" +
                      "cookie_secret = " + kCookieSecret + "\n",
                  {});
  ASSERT_EQ(relative.problems.size(), 1u) << joined(relative);
  EXPECT_EQ(relative.problems[0].rfind(
                "client_secret_file: cannot read latchkey-no-such-credential (", 0),
            0u)
      << relative.problems[0];
}

}  // namespace
}  // namespace latchkey
