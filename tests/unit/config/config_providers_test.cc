// Several providers in one configuration: `providers`, NAME.key prefixes, shared defaults,
// keys refused per provider, and LATCHKEY_NAME__KEY overrides.
#include <gtest/gtest.h>

#include <string>

#include "latchkey/config/config.h"
#include "latchkey/session/session.h"

namespace latchkey {
namespace {

constexpr char kSecret32[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

// Two providers: GitHub and an OpenID Connect issuer; allowed_domains is shared, corp has its
// own allowed_emails.
std::string twoProviders(const std::string& extra = {}) {
  return std::string(
             "providers = github corp\n"
             "redirect_uri = https://app.example.com/login/authorized\n"
             "allowed_domains = example.com\n"
             "github.provider = github\n"
             "github.client_id = gh-client\n"
             "github.client_secret = gh-secret\n"
             "corp.issuer = https://idp.example.com\n"
             "corp.client_id = corp-client\n"
             "corp.client_secret = corp-secret\n"
             "corp.allowed_emails = boss@example.com\n"
             "cookie_secret = ") +
         kSecret32 + "\n" + extra;
}

std::string joined(const ConfigLoad& load) {
  std::string out;
  for (const auto& line : load.problems) {
    out += line + "\n";
  }
  return out;
}

TEST(ConfigProviders, EachProviderGetsSharedDefaultsAndItsOwnKeys) {
  const ConfigLoad load = parseConfig(twoProviders(), {});
  ASSERT_TRUE(load.config) << joined(load);
  const Config& config = *load.config;
  ASSERT_EQ(config.providers.size(), 2u);
  const Config& github = config.providers[0];
  const Config& corp = config.providers[1];
  EXPECT_EQ(github.provider_id, "github");
  EXPECT_EQ(github.provider, ProviderKind::kGithub);
  EXPECT_EQ(github.client_id, "gh-client");
  EXPECT_EQ(github.allowed_domains, std::vector<std::string>{"example.com"});
  EXPECT_TRUE(github.allowed_emails.empty());
  EXPECT_EQ(corp.provider, ProviderKind::kOidc);
  EXPECT_EQ(corp.issuer, "https://idp.example.com");
  EXPECT_EQ(corp.client_secret, "corp-secret");
  EXPECT_EQ(corp.allowed_emails, std::vector<std::string>{"boss@example.com"});
  // Global settings are the same everywhere; the buttons keep the order of `providers`.
  EXPECT_EQ(corp.redirect_uri, github.redirect_uri);
  ASSERT_EQ(corp.provider_choices.size(), 2u);
  EXPECT_EQ(corp.provider_choices[0].id, "github");
  EXPECT_EQ(corp.provider_choices[0].display_name, "GitHub");
  EXPECT_EQ(corp.provider_choices[1].display_name, "idp.example.com");
  EXPECT_TRUE(config.provider_id.empty());
  EXPECT_EQ(providerConfig(config, "corp"), &corp);
  EXPECT_EQ(providerConfig(config, "nobody"), nullptr);
  EXPECT_EQ(providerConfig(config, ""), nullptr);
}

TEST(ConfigProviders, PrefixedValueOverridesTheSharedDefault) {
  const ConfigLoad load = parseConfig(twoProviders("corp.allowed_domains = corp.example\n"), {});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_EQ(load.config->providers[1].allowed_domains, std::vector<std::string>{"corp.example"});
  EXPECT_EQ(load.config->providers[0].allowed_domains, std::vector<std::string>{"example.com"});
}

TEST(ConfigProviders, ProblemsNameThePrefixedKey) {
  std::string text = twoProviders();
  text.replace(text.find("corp.client_id = corp-client\n"), 29, "");
  text += "github.scopes = bad\"scope\n";
  const ConfigLoad load = parseConfig(text, {});
  EXPECT_FALSE(load.config);
  const std::string problems = joined(load);
  EXPECT_NE(problems.find("corp.client_id: missing"), std::string::npos) << problems;
  EXPECT_NE(problems.find("github.scopes: "), std::string::npos) << problems;
}

TEST(ConfigProviders, SharedKeyProblemIsReportedOnceWithoutPrefix) {
  const ConfigLoad load = parseConfig(twoProviders("allowed_groups = ok\x01\n"), {});
  EXPECT_FALSE(load.config);
  int count = 0;
  for (const auto& line : load.problems) {
    count += line.starts_with("allowed_groups: contains a control character") ? 1 : 0;
    EXPECT_FALSE(line.find(".allowed_groups") != std::string::npos) << line;
  }
  EXPECT_EQ(count, 1) << joined(load);
}

TEST(ConfigProviders, SiteWideKeysAreRefusedWithAPrefix) {
  for (const std::string key : {"cookie_secret", "session_lifetime", "redirect_uri", "base_path",
                                "cookie_name", "templates_dir", "bearer_tokens"}) {
    const ConfigLoad load = parseConfig(twoProviders("github." + key + " = x\n"), {});
    EXPECT_FALSE(load.config) << key;
    EXPECT_NE(joined(load).find("github." + key + ": " + key +
                                " is one setting for the whole site, not per provider"),
              std::string::npos)
        << joined(load);
  }
}

TEST(ConfigProviders, PrefixMustNameAListedProvider) {
  const ConfigLoad load = parseConfig(twoProviders("gitlab.client_id = x\n"), {});
  EXPECT_FALSE(load.config);
  EXPECT_NE(joined(load).find("gitlab.client_id: 'gitlab' is not named in providers"),
            std::string::npos)
      << joined(load);
}

TEST(ConfigProviders, PrefixWithoutProvidersIsRefused) {
  const std::string single = std::string(
                                 "client_id = c\nclient_secret = s\n"
                                 "redirect_uri = https://app.example.com/login/authorized\n"
                                 "github.client_id = x\ncookie_secret = ") +
                             kSecret32 + "\n";
  const ConfigLoad load = parseConfig(single, {});
  EXPECT_FALSE(load.config);
  EXPECT_NE(joined(load).find("github.client_id: a NAME. prefix needs several providers"),
            std::string::npos)
      << joined(load);
}

TEST(ConfigProviders, UnknownKeyAfterPrefixIsReportedWithSuggestion) {
  const ConfigLoad load = parseConfig(twoProviders("github.clinet_id = x\n"), {});
  EXPECT_FALSE(load.config);
  EXPECT_NE(joined(load).find("unknown key 'github.clinet_id'; did you mean 'client_id'?"),
            std::string::npos)
      << joined(load);
}

TEST(ConfigProviders, BadProviderNamesAreRefused) {
  for (const std::string names : {"GitHub", "git-hub", "1corp", "corp", "a,,b,a"}) {
    std::string text = twoProviders();
    text.replace(0, text.find('\n'), "providers = " + names + " corp");
    const ConfigLoad load = parseConfig(text, {});
    EXPECT_FALSE(load.config) << names;
    EXPECT_NE(joined(load).find("providers: "), std::string::npos) << names << joined(load);
  }
}

TEST(ConfigProviders, EnvironmentOverridesOneProvidersKey) {
  const ConfigLoad load = parseConfig(
      twoProviders(), {{"LATCHKEY_CORP__CLIENT_SECRET", "from-env"}, {"LATCHKEY_CLIENT_ID", "c"}});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_EQ(load.config->providers[1].client_secret, "from-env");
  EXPECT_EQ(load.config->providers[0].client_secret, "gh-secret");
  // An unprefixed variable is a shared default, overridden by each provider's own key.
  EXPECT_EQ(load.config->providers[0].client_id, "gh-client");
}

TEST(ConfigProviders, EnvironmentCanDefineTheWholeProviderList) {
  const ConfigLoad load =
      parseConfig({}, {{"LATCHKEY_PROVIDERS", "a b"},
                       {"LATCHKEY_REDIRECT_URI", "https://app.example.com/login/authorized"},
                       {"LATCHKEY_COOKIE_SECRET", kSecret32},
                       {"LATCHKEY_CLIENT_SECRET", "shared"},
                       {"LATCHKEY_A__CLIENT_ID", "a-client"},
                       {"LATCHKEY_B__PROVIDER", "github"},
                       {"LATCHKEY_B__CLIENT_ID", "b-client"},
                       {"LATCHKEY_B__ALLOWED_EMAILS", "x@example.com"}});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_EQ(load.config->providers[0].provider, ProviderKind::kGoogle);
  EXPECT_EQ(load.config->providers[1].allowed_emails, std::vector<std::string>{"x@example.com"});
}

TEST(ConfigProviders, EnvironmentRefusesUnknownKeyAfterPrefix) {
  const ConfigLoad load = parseConfig(twoProviders(), {{"LATCHKEY_CORP__CLIENT_SECRTE", "x"}});
  EXPECT_FALSE(load.config);
  EXPECT_NE(joined(load).find("LATCHKEY_CORP__CLIENT_SECRTE: not a latchkey setting; did you "
                              "mean LATCHKEY_CORP__CLIENT_SECRET?"),
            std::string::npos)
      << joined(load);
}

TEST(ConfigProviders, GithubOnlyRuleOnAnOidcProviderIsNamed) {
  const ConfigLoad load = parseConfig(twoProviders("corp.allowed_github_orgs = acme\n"), {});
  EXPECT_FALSE(load.config);
  EXPECT_NE(joined(load).find("corp.allowed_github_orgs: is only for provider = github"),
            std::string::npos)
      << joined(load);
}

TEST(ConfigProviders, BearerTokensNeedASingleProvider) {
  const ConfigLoad load = parseConfig(twoProviders("bearer_tokens = true\n"), {});
  EXPECT_FALSE(load.config);
  EXPECT_NE(joined(load).find("bearer_tokens: works with a single provider only"),
            std::string::npos);
}

TEST(ConfigProviders, RequireClaimRepeatsPerProvider) {
  const ConfigLoad load =
      parseConfig(twoProviders("corp.require_claim = a 1\ncorp.require_claim = b 2\n"), {});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_EQ(load.config->providers[1].require_claims.size(), 2u);
  EXPECT_TRUE(load.config->providers[0].require_claims.empty());
}

// One key derivation for all providers, independent of button order; a session sealed for
// one provider opens under the runtime's single codec.
TEST(ConfigProviders, CookieScopeCoversTheSortedProviderList) {
  const ConfigLoad a = parseConfig(twoProviders(), {});
  std::string swapped = twoProviders();
  swapped.replace(0, swapped.find('\n'), "providers = corp github");
  const ConfigLoad b = parseConfig(swapped, {});
  ASSERT_TRUE(a.config && b.config);
  const CookieScope sa = cookieScope(*a.config);
  const CookieScope sb = cookieScope(*b.config);
  EXPECT_EQ(sa.issuer, sb.issuer);
  EXPECT_EQ(sa.provider, "several");
  CookieCodec codec_a(a.config->cookie_secret, std::nullopt, sa);
  CookieCodec codec_b(b.config->cookie_secret, std::nullopt, sb);
  Session session;
  session.sub = "u1";
  session.provider = "corp";
  session.issued_at = 100;
  session.expires_at = 1000;
  auto opened = codec_b.openSession(codec_a.sealSession(session), 200);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->provider, "corp");
  // A provider changed (here its client): another key, so the old session no longer opens.
  std::string changed = twoProviders();
  changed.replace(changed.find("corp-client"), 11, "corp-other");
  const ConfigLoad c = parseConfig(changed, {});
  ASSERT_TRUE(c.config);
  CookieCodec codec_c(c.config->cookie_secret, std::nullopt, cookieScope(*c.config));
  EXPECT_FALSE(codec_c.openSession(codec_a.sealSession(session), 200));
}

TEST(ConfigProviders, WithoutProvidersNothingChanges) {
  const std::string single = std::string(
                                 "client_id = c\nclient_secret = s\n"
                                 "redirect_uri = https://app.example.com/login/authorized\n"
                                 "cookie_secret = ") +
                             kSecret32 + "\n";
  const ConfigLoad load = parseConfig(single, {});
  ASSERT_TRUE(load.config) << joined(load);
  EXPECT_TRUE(load.config->providers.empty());
  EXPECT_TRUE(load.config->provider_choices.empty());
  EXPECT_EQ(providerConfig(*load.config, ""), &*load.config);
  EXPECT_EQ(cookieScope(*load.config).provider, "google");
}

}  // namespace
}  // namespace latchkey
