// Configuration parsing and validation (README "Configuration", "Command line").
#include "latchkey/config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace latchkey {
namespace {

// base64 of "0123456789abcdef0123456789abcdef" (32 bytes) and of its first 16 bytes.
constexpr char kSecret32[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr char kSecret32b[] = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXpBQkNERUY=";
constexpr char kSecret16[] = "MDEyMzQ1Njc4OWFiY2RlZg==";

std::string minimal() {
  return std::string(
             "client_id = my-client\n"
             "client_secret = s3cret#with-hash\n"
             "redirect_uri = https://app.example.com/login/authorized\n"
             "cookie_secret = ") +
         kSecret32 + "\n";
}

std::string allProblems(const ConfigLoad& load) {
  std::string out;
  for (const auto& p : load.problems) {
    out += p + "\n";
  }
  return out;
}

// Number of problem lines that start with "<key>:".
int problemsFor(const ConfigLoad& load, const std::string& key) {
  int n = 0;
  for (const auto& p : load.problems) {
    if (p.rfind(key + ":", 0) == 0) {
      ++n;
    }
  }
  return n;
}

bool anyProblemContains(const ConfigLoad& load, const std::string& text) {
  for (const auto& p : load.problems) {
    if (p.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Replaces (or removes, when value is empty) one key's line in the minimal config.
std::string minimalWith(const std::string& extra) {
  return minimal() + extra;
}

ConfigLoad parse(const std::string& text, const Environment& env = {}) {
  return parseConfig(text, env);
}

std::string withoutKey(const std::string& text, const std::string& key) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string line = text.substr(pos, end - pos);
    if (line.rfind(key + " ", 0) != 0) {
      out += line + "\n";
    }
    pos = end + 1;
  }
  return out;
}

// The minimal config with key's line replaced by "key = value".
std::string replacing(const std::string& key, const std::string& value) {
  return withoutKey(minimal(), key) + key + " = " + value + "\n";
}

// A temporary file removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/latchkey_config_test_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The smallest valid configuration loads, and values are taken as written.
TEST(Config, MinimalConfigLoads) {
  const auto load = parse(minimal());
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_TRUE(load.problems.empty());
  EXPECT_EQ(load.config->client_id, "my-client");
  EXPECT_EQ(load.config->client_secret, "s3cret#with-hash");  // '#' inside a value is kept
  EXPECT_EQ(load.config->cookie_secret, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(load.config->redirect_path, "/login/authorized");
  EXPECT_TRUE(load.config->https);
}

// Everything not given gets its documented default.
TEST(Config, DefaultsFollowSpec) {
  const auto load = parse(minimal());
  ASSERT_TRUE(load.config) << allProblems(load);
  const Config& c = *load.config;
  EXPECT_EQ(c.provider, ProviderKind::kGoogle);
  EXPECT_EQ(c.issuer, "https://accounts.google.com");
  EXPECT_EQ(c.scopes, (std::vector<std::string>{"openid", "email", "profile"}));
  EXPECT_EQ(c.cookie_name, "__Host-latchkey");
  EXPECT_EQ(c.session_lifetime, 28800);
  EXPECT_EQ(c.http_timeout, 10);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_TRUE(c.allowed_domains.empty());
  EXPECT_TRUE(c.allowed_emails.empty());
  EXPECT_EQ(c.base_path, "");
  EXPECT_EQ(c.ca_file, "");
  EXPECT_FALSE(c.cookie_secret_previous);
  EXPECT_EQ(c.templates_dir, "");
  EXPECT_EQ(providerDisplayName(c), "Google");
}

// Comments, blank lines, surrounding whitespace, quotes, CRLF and a BOM are all handled.
TEST(Config, FileSyntaxCommentsQuotesAndWhitespace) {
  const std::string text = "\xEF\xBB\xBF# latchkey\r\n\r\n   # indented comment\n" + minimal() +
                           "  log_level\t=  \"debug\"  \r\n";
  const auto load = parse(text);
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->log_level, LogLevel::kDebug);
}

// A trailing comment after a non-secret value is reported instead of being misread.
TEST(Config, TrailingCommentOnNonSecretValueIsAnError) {
  const auto load = parse(minimalWith("session_lifetime = 3600 # one hour\n"));
  EXPECT_FALSE(load.config);
  EXPECT_TRUE(anyProblemContains(load, "line 5:")) << allProblems(load);
  EXPECT_TRUE(anyProblemContains(load, "own line")) << allProblems(load);
}

// LATCHKEY_<KEY> overrides the file.
TEST(Config, EnvironmentOverridesFile) {
  const auto load = parse(minimal(), {{"LATCHKEY_CLIENT_ID", "from-env"},
                                      {"LATCHKEY_SESSION_LIFETIME", "600"},
                                      {"PATH", "/usr/bin"}});
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->client_id, "from-env");
  EXPECT_EQ(load.config->session_lifetime, 600);
}

// With no file at all, the environment alone configures latchkey.
TEST(Config, EnvironmentOnlyConfig) {
  const Environment env = {{"LATCHKEY_CLIENT_ID", "id"},
                           {"LATCHKEY_CLIENT_SECRET", "secret"},
                           {"LATCHKEY_REDIRECT_URI", "http://localhost:8080/login/authorized"},
                           {"LATCHKEY_COOKIE_SECRET", kSecret32}};
  const auto load = loadConfig(std::nullopt, env);
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->client_id, "id");
  EXPECT_FALSE(load.config->https);
  EXPECT_EQ(load.config->cookie_name, "latchkey");
}

// An empty environment value unsets a file setting.
TEST(Config, EmptyEnvironmentValueUnsets) {
  const auto load = parse(minimal(), {{"LATCHKEY_CLIENT_ID", ""}});
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "client_id"), 1) << allProblems(load);
}

// A mistyped LATCHKEY_ variable is an error with a suggestion, not silently ignored.
TEST(Config, UnknownEnvironmentVariableIsAnError) {
  const auto load = parse(minimal(), {{"LATCHKEY_CLIENTSECRET", "x"}});
  EXPECT_FALSE(load.config);
  ASSERT_EQ(problemsFor(load, "LATCHKEY_CLIENTSECRET"), 1) << allProblems(load);
  EXPECT_TRUE(anyProblemContains(load, "did you mean LATCHKEY_CLIENT_SECRET?"))
      << allProblems(load);
  // The value of an unknown variable might be a secret and is never echoed.
  const auto lower = parse(minimal(), {{"LATCHKEY_client_id", "hunter2"}});
  EXPECT_FALSE(lower.config);
  EXPECT_FALSE(anyProblemContains(lower, "hunter2"));
}

// The e2e harness's own LATCHKEY_BIN / LATCHKEY_E2E_* variables are not taken for config typos.
TEST(Config, HarnessVariablesAreIgnored) {
  const auto load =
      parse(minimal(), {{"LATCHKEY_BIN", "/x/latchkey"}, {"LATCHKEY_E2E_LEAKS", "1"}});
  ASSERT_TRUE(load.config) << allProblems(load);
}

// An unknown key names the line and suggests the closest known key.
TEST(Config, UnknownKeySuggestsClosest) {
  const auto load = parse("# c\nclientid = x\n" + withoutKey(minimal(), "client_id"));
  EXPECT_FALSE(load.config);
  EXPECT_TRUE(anyProblemContains(load, "line 2: unknown key 'clientid'; did you mean 'client_id'?"))
      << allProblems(load);
  const auto far = parse(minimalWith("frobnicate = 1\n"));
  EXPECT_TRUE(anyProblemContains(far, "unknown key 'frobnicate'")) << allProblems(far);
  EXPECT_FALSE(anyProblemContains(far, "did you mean")) << allProblems(far);
}

// Setting the same key twice in the file is an error naming both lines.
TEST(Config, DuplicateKeyIsAnError) {
  const auto load = parse(minimalWith("client_id = other\n"));
  EXPECT_FALSE(load.config);
  EXPECT_TRUE(anyProblemContains(load, "line 5: key 'client_id' is already set on line 1"))
      << allProblems(load);
}

// A line without '=' is an error naming its line number.
TEST(Config, LineWithoutEqualsIsAnError) {
  const auto load = parse(minimalWith("\njust some words\n"));
  EXPECT_FALSE(load.config);
  EXPECT_TRUE(anyProblemContains(load, "line 6: expected 'key = value'")) << allProblems(load);
}

// client_id is required.
TEST(Config, MissingClientId) {
  const auto load = parse(withoutKey(minimal(), "client_id"));
  EXPECT_FALSE(load.config);
  ASSERT_EQ(load.problems.size(), 1u) << allProblems(load);
  EXPECT_EQ(problemsFor(load, "client_id"), 1);
}

// Neither client_secret nor client_secret_file is an error.
TEST(Config, MissingClientSecret) {
  const auto load = parse(withoutKey(minimal(), "client_secret"));
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "client_secret"), 1) << allProblems(load);
}

// Both client_secret and client_secret_file is an error.
TEST(Config, BothClientSecretAndFile) {
  TempFile file("other\n");
  const auto load = parse(minimalWith("client_secret_file = " + file.path() + "\n"));
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "client_secret"), 1) << allProblems(load);
}

// client_secret_file is read with its trailing newlines trimmed.
TEST(Config, ClientSecretFileIsReadAndTrimmed) {
  TempFile file("file-secret\r\n\n");
  const auto load =
      parse(withoutKey(minimal(), "client_secret") + "client_secret_file = " + file.path() + "\n");
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->client_secret, "file-secret");
}

// An unreadable or empty client_secret_file is reported under its own key.
TEST(Config, ClientSecretFileUnreadableOrEmpty) {
  const auto missing = parse(withoutKey(minimal(), "client_secret") +
                             "client_secret_file = /nonexistent/latchkey/secret\n");
  EXPECT_FALSE(missing.config);
  EXPECT_EQ(problemsFor(missing, "client_secret_file"), 1) << allProblems(missing);
  TempFile empty("\n");
  const auto blank =
      parse(withoutKey(minimal(), "client_secret") + "client_secret_file = " + empty.path() + "\n");
  EXPECT_FALSE(blank.config);
  EXPECT_EQ(problemsFor(blank, "client_secret_file"), 1) << allProblems(blank);
}

// cookie_secret is required.
TEST(Config, MissingCookieSecret) {
  const auto load = parse(withoutKey(minimal(), "cookie_secret"));
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "cookie_secret"), 1) << allProblems(load);
}

// A cookie_secret that is not base64 is refused without echoing it.
TEST(Config, CookieSecretNotBase64) {
  const auto load = parse(replacing("cookie_secret", "not*base64!secret"));
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "cookie_secret"), 1) << allProblems(load);
  EXPECT_FALSE(anyProblemContains(load, "not*base64!secret"));
}

// A short cookie_secret says how long it is and how to make a proper one.
TEST(Config, ShortCookieSecret) {
  const auto load = parse(replacing("cookie_secret", kSecret16));
  EXPECT_FALSE(load.config);
  ASSERT_EQ(load.problems.size(), 1u) << allProblems(load);
  EXPECT_EQ(load.problems[0],
            "cookie_secret: decodes to 16 bytes, at least 32 are needed; generate one with: "
            "openssl rand -base64 32");
}

// cookie_secret_file is read and decoded like cookie_secret.
TEST(Config, CookieSecretFile) {
  TempFile file(std::string(kSecret32b) + "\n");
  const auto load =
      parse(withoutKey(minimal(), "cookie_secret") + "cookie_secret_file = " + file.path() + "\n");
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->cookie_secret, "abcdefghijklmnopqrstuvwxyzABCDEF");
  TempFile short_file(kSecret16);
  const auto bad = parse(withoutKey(minimal(), "cookie_secret") +
                         "cookie_secret_file = " + short_file.path() + "\n");
  EXPECT_EQ(problemsFor(bad, "cookie_secret_file"), 1) << allProblems(bad);
}

// cookie_secret_previous is optional, decoded, and held to the same length rule.
TEST(Config, CookieSecretPrevious) {
  const auto good =
      parse(minimalWith(std::string("cookie_secret_previous = ") + kSecret32b + "\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  EXPECT_EQ(good.config->cookie_secret_previous, "abcdefghijklmnopqrstuvwxyzABCDEF");
  const auto short_one =
      parse(minimalWith(std::string("cookie_secret_previous = ") + kSecret16 + "\n"));
  EXPECT_FALSE(short_one.config);
  EXPECT_EQ(problemsFor(short_one, "cookie_secret_previous"), 1) << allProblems(short_one);
  const auto garbage = parse(minimalWith("cookie_secret_previous = %%%\n"));
  EXPECT_EQ(problemsFor(garbage, "cookie_secret_previous"), 1) << allProblems(garbage);
}

// redirect_uri is required.
TEST(Config, MissingRedirectUri) {
  const auto load = parse(withoutKey(minimal(), "redirect_uri"));
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "redirect_uri"), 1) << allProblems(load);
}

// redirect_uri must be an absolute URL.
TEST(Config, RedirectUriNotAbsolute) {
  for (const char* bad :
       {"/login/authorized", "app.example.com/login/authorized", "https:///login/authorized",
        "https://host:99999/login/authorized", "https://ho st/login/authorized"}) {
    const auto load = parse(replacing("redirect_uri", bad));
    EXPECT_FALSE(load.config) << bad;
    EXPECT_EQ(problemsFor(load, "redirect_uri"), 1) << bad << "\n" << allProblems(load);
  }
}

// http redirect_uri on a public host is refused.
TEST(Config, HttpRedirectUriOnPublicHostRefused) {
  for (const char* bad :
       {"http://app.example.com/login/authorized", "http://128.0.0.1/login/authorized",
        "http://localhost.evil.com/login/authorized",
        "http://127.0.0.1.evil.com/login/authorized"}) {
    const auto load = parse(replacing("redirect_uri", bad));
    EXPECT_FALSE(load.config) << bad;
    EXPECT_TRUE(anyProblemContains(load, "redirect_uri: http is allowed only on loopback"))
        << bad << "\n"
        << allProblems(load);
  }
}

// http redirect_uri on localhost, 127.0.0.0/8 and [::1] is allowed for development.
TEST(Config, HttpRedirectUriOnLoopbackAccepted) {
  for (const char* good :
       {"http://localhost/login/authorized", "http://127.0.0.1:8080/login/authorized",
        "http://127.9.8.7/login/authorized", "http://[::1]:9/login/authorized",
        "HTTP://LOCALHOST/login/authorized"}) {
    const auto load = parse(replacing("redirect_uri", good));
    ASSERT_TRUE(load.config) << good << "\n" << allProblems(load);
    EXPECT_FALSE(load.config->https);
    EXPECT_EQ(load.config->cookie_name, "latchkey");
  }
}

// redirect_uri must not carry a query or a fragment.
TEST(Config, RedirectUriWithQueryOrFragment) {
  for (const char* bad : {"https://app.example.com/login/authorized?x=1",
                          "https://app.example.com/login/authorized#top"}) {
    const auto load = parse(replacing("redirect_uri", bad));
    EXPECT_FALSE(load.config) << bad;
    EXPECT_EQ(problemsFor(load, "redirect_uri"), 1) << allProblems(load);
  }
}

// The callback path must be base_path + /login/authorized.
TEST(Config, RedirectUriPathMustBeCallbackRoute) {
  const auto load = parse(replacing("redirect_uri", "https://app.example.com/x"));
  EXPECT_FALSE(load.config);
  EXPECT_TRUE(anyProblemContains(
      load, "redirect_uri: its path /x must be /login/authorized, the route latchkey answers"))
      << allProblems(load);
  const auto with_base = parse(withoutKey(minimal(), "redirect_uri") +
                               "base_path = /oauth2\n"
                               "redirect_uri = https://app.example.com/oauth2/login/authorized\n");
  ASSERT_TRUE(with_base.config) << allProblems(with_base);
  EXPECT_EQ(with_base.config->redirect_path, "/oauth2/login/authorized");
  const auto no_path = parse(replacing("redirect_uri", "https://app.example.com"));
  EXPECT_TRUE(anyProblemContains(no_path, "its path / must be")) << allProblems(no_path);
}

// base_path: one trailing slash stripped, "/" means none, unsafe shapes refused.
TEST(Config, BasePathNormalisation) {
  const auto redirect = [](const std::string& base) {
    return withoutKey(minimal(), "redirect_uri") + "base_path = " + base +
           "\nredirect_uri = https://app.example.com/oauth2/login/authorized\n";
  };
  const auto slash = parse(redirect("/oauth2/"));
  ASSERT_TRUE(slash.config) << allProblems(slash);
  EXPECT_EQ(slash.config->base_path, "/oauth2");
  const auto root = parse(minimalWith("base_path = /\n"));
  ASSERT_TRUE(root.config) << allProblems(root);
  EXPECT_EQ(root.config->base_path, "");
  for (const char* bad : {"oauth2", "/a/../oauth2", "/oauth2?x", "/oauth2#x", "//oauth2"}) {
    const auto load = parse(redirect(bad));
    EXPECT_FALSE(load.config) << bad;
    EXPECT_EQ(problemsFor(load, "base_path"), 1) << bad << "\n" << allProblems(load);
  }
}

// Issuer URLs must be https except on loopback; oidc needs one; kept exactly as given.
TEST(Config, IssuerRules) {
  const auto oidc = parse(minimalWith("issuer = https://id.example.com/realms/x/\n"));
  ASSERT_TRUE(oidc.config) << allProblems(oidc);
  EXPECT_EQ(oidc.config->provider, ProviderKind::kOidc);
  EXPECT_EQ(oidc.config->issuer, "https://id.example.com/realms/x/");
  EXPECT_EQ(providerDisplayName(*oidc.config), "id.example.com");
  const auto local = parse(minimalWith("issuer = http://127.0.0.1:5556/dex\n"));
  ASSERT_TRUE(local.config) << allProblems(local);
  const auto plain = parse(minimalWith("issuer = http://id.example.com\n"));
  EXPECT_FALSE(plain.config);
  EXPECT_EQ(problemsFor(plain, "issuer"), 1) << allProblems(plain);
  const auto missing = parse(minimalWith("provider = oidc\n"));
  EXPECT_FALSE(missing.config);
  EXPECT_EQ(problemsFor(missing, "issuer"), 1) << allProblems(missing);
  const auto query = parse(minimalWith("issuer = https://id.example.com/?tenant=1\n"));
  EXPECT_EQ(problemsFor(query, "issuer"), 1) << allProblems(query);
}

// provider google refuses a foreign issuer, accepts its own.
TEST(Config, GoogleProviderIssuer) {
  const auto own = parse(minimalWith("provider = google\nissuer = https://accounts.google.com\n"));
  ASSERT_TRUE(own.config) << allProblems(own);
  EXPECT_EQ(own.config->provider, ProviderKind::kGoogle);
  const auto foreign = parse(minimalWith("provider = google\nissuer = https://id.example.com\n"));
  EXPECT_FALSE(foreign.config);
  EXPECT_EQ(problemsFor(foreign, "issuer"), 1) << allProblems(foreign);
}

// provider github: GitHub scopes, no issuer (github.com) or a GHES base URL.
TEST(Config, GithubDefaults) {
  const auto load = parse(minimalWith("provider = GitHub\n"));
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->provider, ProviderKind::kGithub);
  EXPECT_EQ(load.config->issuer, "");
  EXPECT_EQ(load.config->scopes, (std::vector<std::string>{"read:user", "user:email"}));
  EXPECT_EQ(providerDisplayName(*load.config), "GitHub");
  const auto ghes = parse(minimalWith("provider = github\nissuer = https://github.example.com\n"));
  ASSERT_TRUE(ghes.config) << allProblems(ghes);
  EXPECT_EQ(ghes.config->issuer, "https://github.example.com");
}

// An unknown provider is an error.
TEST(Config, UnknownProvider) {
  const auto load = parse(minimalWith("provider = facebook\n"));
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "provider"), 1) << allProblems(load);
}

// OIDC and Google need the openid scope; GitHub does not.
TEST(Config, ScopesMustContainOpenidForOidc) {
  const auto load = parse(minimalWith("scopes = email profile\n"));
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "scopes"), 1) << allProblems(load);
  const auto custom = parse(minimalWith("scopes = openid email groups\n"));
  ASSERT_TRUE(custom.config) << allProblems(custom);
  EXPECT_EQ(custom.config->scopes, (std::vector<std::string>{"openid", "email", "groups"}));
  const auto github = parse(minimalWith("provider = github\nscopes = user:email\n"));
  ASSERT_TRUE(github.config) << allProblems(github);
}

// cookie_domain: a parent domain of redirect_uri's host (leading dot dropped); the default name
// becomes __Secure-latchkey and a __Host- name is refused, since __Host- forbids Domain.
TEST(Config, CookieDomain) {
  const auto good = parse(minimalWith("cookie_domain = .Example.com\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  EXPECT_EQ(good.config->cookie_domain, "example.com");
  EXPECT_EQ(good.config->cookie_name, "__Secure-latchkey");
  const auto same_host = parse(minimalWith("cookie_domain = app.example.com\n"));
  EXPECT_TRUE(same_host.config) << allProblems(same_host);
  for (const char* bad : {"other.example", "xample.com", "com", "127.0.0.1", "exa mple.com",
                          "example.com/", "..example.com"}) {
    const auto load = parse(minimalWith(std::string("cookie_domain = ") + bad + "\n"));
    EXPECT_EQ(problemsFor(load, "cookie_domain"), 1) << bad << "\n" << allProblems(load);
  }
  const auto host_prefixed =
      parse(minimalWith("cookie_domain = example.com\ncookie_name = __Host-x\n"));
  EXPECT_EQ(problemsFor(host_prefixed, "cookie_name"), 1) << allProblems(host_prefixed);
  const auto secure_prefixed =
      parse(minimalWith("cookie_domain = example.com\ncookie_name = __Secure-x\n"));
  EXPECT_TRUE(secure_prefixed.config) << allProblems(secure_prefixed);
}

// allowed_redirect_domains: exact hosts, .suffixes and host:port; one problem per bad entry.
TEST(Config, AllowedRedirectDomains) {
  const auto good =
      parse(minimalWith("allowed_redirect_domains = app1.example.com .apps.example.com, "
                        "app2.example.com:8443\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  ASSERT_EQ(good.config->allowed_redirect_domains.size(), 3U);
  EXPECT_TRUE(good.config->allowed_redirect_domains[1].subdomains);
  EXPECT_EQ(good.config->allowed_redirect_domains[2].port, 8443);
  const auto bad = parse(
      minimalWith("allowed_redirect_domains = https://app.example.com *.example.com ok.example\n"));
  EXPECT_EQ(problemsFor(bad, "allowed_redirect_domains"), 2) << allProblems(bad);
}

// The return-URI request parameter may reach a CGI program's environment: not a setting.
TEST(Config, ReturnUriParameterIsNotASetting) {
  const auto load = parseConfig(minimal(), {{"LATCHKEY_RETURN_URI", "/x?a=1"}});
  EXPECT_TRUE(load.config) << allProblems(load);
}

// cookie_name must be an RFC 6265 token.
TEST(Config, CookieNameMustBeToken) {
  for (const char* bad : {"my cookie", "a;b", "a=b", "caf\xC3\xA9"}) {
    const auto load = parse(minimalWith(std::string("cookie_name = \"") + bad + "\"\n"));
    EXPECT_FALSE(load.config) << bad;
    EXPECT_EQ(problemsFor(load, "cookie_name"), 1) << bad << "\n" << allProblems(load);
  }
  const auto good = parse(minimalWith("cookie_name = __Host-mysite\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  EXPECT_EQ(good.config->cookie_name, "__Host-mysite");
}

// __Host-/__Secure- names over http would be dropped by browsers, so they are refused.
TEST(Config, PrefixedCookieNameOverHttpRefused) {
  const std::string http = replacing("redirect_uri", "http://localhost/login/authorized");
  for (const char* name : {"__Host-x", "__Secure-x"}) {
    const auto load = parse(http + "cookie_name = " + name + "\n");
    EXPECT_FALSE(load.config) << name;
    EXPECT_EQ(problemsFor(load, "cookie_name"), 1) << allProblems(load);
  }
}

// session_lifetime must be a whole number from 60 to 31536000.
TEST(Config, SessionLifetimeRange) {
  for (const char* bad : {"59", "31536001", "-5", "1h", "+60", "99999999999999999999999", "6 0"}) {
    const auto load = parse(minimalWith(std::string("session_lifetime = ") + bad + "\n"));
    EXPECT_FALSE(load.config) << bad;
    EXPECT_EQ(problemsFor(load, "session_lifetime"), 1) << bad << "\n" << allProblems(load);
  }
  const auto good = parse(minimalWith("session_lifetime = 60\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  EXPECT_EQ(good.config->session_lifetime, 60);
}

// http_timeout must be a whole number from 1 to 300.
TEST(Config, HttpTimeoutRange) {
  for (const char* bad : {"0", "301", "abc"}) {
    const auto load = parse(minimalWith(std::string("http_timeout = ") + bad + "\n"));
    EXPECT_EQ(problemsFor(load, "http_timeout"), 1) << bad << "\n" << allProblems(load);
  }
  const auto good = parse(minimalWith("http_timeout = 300\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  EXPECT_EQ(good.config->http_timeout, 300);
}

// auth_cache_seconds: 0 (off, the default) to 300.
TEST(Config, AuthCacheSecondsRange) {
  EXPECT_EQ(parse(minimalWith("")).config->auth_cache_seconds, 0);
  for (const char* bad : {"-1", "301", "2s"}) {
    const auto load = parse(minimalWith(std::string("auth_cache_seconds = ") + bad + "\n"));
    EXPECT_EQ(problemsFor(load, "auth_cache_seconds"), 1) << bad << "\n" << allProblems(load);
  }
  const auto good = parse(minimalWith("auth_cache_seconds = 5\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  EXPECT_EQ(good.config->auth_cache_seconds, 5);
}

// log_level accepts the four levels only.
TEST(Config, LogLevelValues) {
  const auto load = parse(minimalWith("log_level = verbose\n"));
  EXPECT_EQ(problemsFor(load, "log_level"), 1) << allProblems(load);
  const auto warn = parse(minimalWith("log_level = warn\n"));
  ASSERT_TRUE(warn.config) << allProblems(warn);
  EXPECT_EQ(warn.config->log_level, LogLevel::kWarn);
}

// allowed_domains: space or comma separated, lower-cased, leading '@' stripped.
TEST(Config, AllowedDomainsParsed) {
  const auto load = parse(minimalWith("allowed_domains = Example.COM, @corp.example.org  b.io\n"));
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->allowed_domains,
            (std::vector<std::string>{"example.com", "corp.example.org", "b.io"}));
  const auto bad = parse(minimalWith("allowed_domains = exa*mple.com\n"));
  EXPECT_EQ(problemsFor(bad, "allowed_domains"), 1) << allProblems(bad);
}

// allowed_emails: lower-cased list; malformed addresses refused.
TEST(Config, AllowedEmailsParsed) {
  const auto load = parse(minimalWith("allowed_emails = Alice@Example.com,bob@b.io\n"));
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->allowed_emails,
            (std::vector<std::string>{"alice@example.com", "bob@b.io"}));
  const auto bad = parse(minimalWith("allowed_emails = alice\n"));
  EXPECT_EQ(problemsFor(bad, "allowed_emails"), 1) << allProblems(bad);
}

// allowed_emails_file: one per line, comments allowed; an empty list is refused (it would mean
// "anyone").
TEST(Config, AllowedEmailsFile) {
  TempFile file("# staff\nAlice@Example.com\n\n  bob@b.io  \n");
  const auto load = parse(minimalWith("allowed_emails_file = " + file.path() + "\n"));
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->allowed_emails,
            (std::vector<std::string>{"alice@example.com", "bob@b.io"}));
  TempFile empty("# nobody yet\n");
  const auto none = parse(minimalWith("allowed_emails_file = " + empty.path() + "\n"));
  EXPECT_FALSE(none.config);
  EXPECT_EQ(problemsFor(none, "allowed_emails_file"), 1) << allProblems(none);
  const auto missing = parse(minimalWith("allowed_emails_file = /nonexistent/emails\n"));
  EXPECT_EQ(problemsFor(missing, "allowed_emails_file"), 1) << allProblems(missing);
}

// ca_file must be readable; templates_dir must be an existing directory.
TEST(Config, CaFileAndTemplatesDir) {
  TempFile ca("-----BEGIN CERTIFICATE-----\n");
  const auto load = parse(minimalWith("ca_file = " + ca.path() + "\ntemplates_dir = /tmp\n"));
  ASSERT_TRUE(load.config) << allProblems(load);
  EXPECT_EQ(load.config->ca_file, ca.path());
  EXPECT_EQ(load.config->templates_dir, "/tmp");
  const auto bad =
      parse(minimalWith("ca_file = /nonexistent/ca.pem\ntemplates_dir = " + ca.path() + "\n"));
  EXPECT_EQ(problemsFor(bad, "ca_file"), 1) << allProblems(bad);
  EXPECT_EQ(problemsFor(bad, "templates_dir"), 1) << allProblems(bad);
}

// Every problem is reported in one run, one line each, and no secret appears in them.
TEST(Config, ReportsAllProblemsTogether) {
  const auto load = parse(
      "client_secret = topsecretvalue\n"
      "cookie_secret = c2hvcnQ=\n"
      "redirect_uri = http://app.example.com/login/authorized\n"
      "session_lifetime = 5\n"
      "log_level = loud\n"
      "bogus\n");
  EXPECT_FALSE(load.config);
  EXPECT_EQ(problemsFor(load, "client_id"), 1);
  EXPECT_EQ(problemsFor(load, "cookie_secret"), 1);
  EXPECT_EQ(problemsFor(load, "redirect_uri"), 1);
  EXPECT_EQ(problemsFor(load, "session_lifetime"), 1);
  EXPECT_EQ(problemsFor(load, "log_level"), 1);
  EXPECT_EQ(problemsFor(load, "line 6"), 1);
  EXPECT_EQ(load.problems.size(), 6u) << allProblems(load);
  for (const auto& p : load.problems) {
    EXPECT_EQ(p.find('\n'), std::string::npos);
    EXPECT_NE(p.find("; "), std::string::npos) << p;  // "key: what; how to fix"
  }
  EXPECT_FALSE(anyProblemContains(load, "topsecretvalue"));
  EXPECT_FALSE(anyProblemContains(load, "c2hvcnQ"));
}

// loadConfig reads the file, and a missing file is one clear problem.
TEST(Config, LoadConfigFromFile) {
  TempFile file(minimal());
  const auto load = loadConfig(file.path(), {});
  ASSERT_TRUE(load.config) << allProblems(load);
  const auto missing = loadConfig(std::string("/nonexistent/latchkey.conf"), {});
  EXPECT_FALSE(missing.config);
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_NE(missing.problems[0].find("/nonexistent/latchkey.conf"), std::string::npos);
}

// configKeys lists the README's original table in order, then templates_dir, provider_name and the
// keys that later features added.
TEST(Config, ConfigKeysInSpecOrder) {
  const auto& keys = configKeys();
  ASSERT_GE(keys.size(), 21u);
  EXPECT_EQ(keys.front(), "provider");
  EXPECT_EQ(keys[5], "redirect_uri");
  EXPECT_EQ(keys[18], "log_level");
  EXPECT_EQ(keys[19], "templates_dir");
  EXPECT_EQ(keys[20], "provider_name");
  EXPECT_EQ(keys[24], "allowed_tenants");
}

// The identity-check keys: safe defaults (unverified addresses refused, no extra audience,
// ID tokens at most 300 s old), explicit values parsed, nonsense refused.
TEST(Config, IdentityCheckKeys) {
  const auto defaults = parseConfig(minimal(), {});
  ASSERT_TRUE(defaults.config) << allProblems(defaults);
  EXPECT_FALSE(defaults.config->allow_unverified_email);
  EXPECT_TRUE(defaults.config->trusted_audiences.empty());
  EXPECT_EQ(defaults.config->id_token_max_age, 300);

  const auto set = parseConfig(minimalWith("allow_unverified_email = TRUE\n"
                                           "trusted_audiences = api-1 api-2,api-3\n"
                                           "id_token_max_age = 600\n"),
                               {});
  ASSERT_TRUE(set.config) << allProblems(set);
  EXPECT_TRUE(set.config->allow_unverified_email);
  EXPECT_EQ(set.config->trusted_audiences, (std::vector<std::string>{"api-1", "api-2", "api-3"}));
  EXPECT_EQ(set.config->id_token_max_age, 600);

  const auto bad =
      parseConfig(minimalWith("allow_unverified_email = maybe\nid_token_max_age = 5\n"), {});
  EXPECT_FALSE(bad.config);
  EXPECT_EQ(problemsFor(bad, "allow_unverified_email"), 1) << allProblems(bad);
  EXPECT_EQ(problemsFor(bad, "id_token_max_age"), 1) << allProblems(bad);
}

// LATCHKEY_CONFIG names the file (read by main), so it is not an unknown setting.
TEST(Config, LatchkeyConfigVariableIsNotASetting) {
  const auto load = parseConfig(minimal(), {{"LATCHKEY_CONFIG", "/etc/latchkey/latchkey.conf"}});
  EXPECT_TRUE(load.config) << allProblems(load);
}

// processEnvironment sees the real environment.
TEST(Config, ProcessEnvironmentReadsEnviron) {
  ASSERT_EQ(setenv("LATCHKEY_CONFIG_TEST_PROBE", "a=b", 1), 0);
  const auto env = processEnvironment();
  unsetenv("LATCHKEY_CONFIG_TEST_PROBE");
  const auto it = env.find("LATCHKEY_CONFIG_TEST_PROBE");
  ASSERT_NE(it, env.end());
  EXPECT_EQ(it->second, "a=b");
}

// Arbitrary bytes never crash the parser.
TEST(Config, GarbageInputNeverCrashes) {
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text.push_back(static_cast<char>((i * 7919) % 256));
    if (i % 37 == 0) {
      text += "=\n";
    }
  }
  const auto load = parse(text, {{"LATCHKEY_", ""}, {"LATCHKEY_REDIRECT_URI", "https://[::1"}});
  EXPECT_FALSE(load.config);
  EXPECT_FALSE(load.problems.empty());
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

const std::string kMinimal =
    "issuer = https://idp.example\nclient_id = c\nclient_secret = s\n"
    "redirect_uri = https://app.example/login/authorized\n"
    "cookie_secret = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";

// The load was refused, and its first problem is about key.
void expectProblemWith(const ConfigLoad& load, const std::string& key) {
  ASSERT_FALSE(load.problems.empty()) << key;
  EXPECT_EQ(load.problems[0].rfind(key, 0), 0u) << load.problems[0];
}

// provider_name replaces the derived name on the sign-in button; junk in it is refused.
TEST(ConfigProviderName, NamesTheButtonAndRefusesControlCharacters) {
  const std::string& base = kMinimal;
  ConfigLoad plain = parseConfig(base, {});
  ASSERT_TRUE(plain.config) << (plain.problems.empty() ? "" : plain.problems[0]);
  EXPECT_EQ(providerDisplayName(*plain.config), "idp.example");
  ConfigLoad named = parseConfig(base + "provider_name = Acme SSO\n", {});
  ASSERT_TRUE(named.config);
  EXPECT_EQ(providerDisplayName(*named.config), "Acme SSO");
  expectProblemWith(parseConfig(base, {{"LATCHKEY_PROVIDER_NAME",
                                        "a\x01"
                                        "b"}}),
                    "provider_name");
}

// session_store: off by default; SQLite and Redis forms accepted; rediss:// and relative paths
// refused naming the key; session_store_grace bounded.
TEST(ConfigSessionStore, AcceptsBothBackEndsAndRefusesTheRest) {
  const std::string& base = kMinimal;
  ConfigLoad plain = parseConfig(base, {});
  ASSERT_TRUE(plain.config);
  EXPECT_TRUE(plain.config->session_store.empty());
  EXPECT_EQ(plain.config->session_store_grace, 30);
  for (const char* good : {"sqlite:/var/lib/latchkey/state.db", "redis://:pw@10.0.0.5:6379/1"}) {
    ConfigLoad load =
        parseConfig(base + "session_store = " + good + "\nsession_store_grace = 5\n", {});
    ASSERT_TRUE(load.config) << good << ": " << (load.problems.empty() ? "" : load.problems[0]);
    EXPECT_EQ(load.config->session_store, good);
    EXPECT_EQ(load.config->session_store_grace, 5);
  }
  for (const char* bad : {"rediss://h:6379/0", "sqlite:relative.db", "mysql://h"}) {
    expectProblemWith(parseConfig(base, {{"LATCHKEY_SESSION_STORE", bad}}), "session_store:");
  }
  expectProblemWith(parseConfig(base + "session_store_grace = 4000\n", {}), "session_store_grace");
}

// rp_initiated_logout: off by default; post_logout_redirect_uri defaults to the site's start
// page under base_path; a plain-http remote URL and a non-boolean are refused.
TEST(ConfigLogout, RpInitiatedLogoutAndItsRedirect) {
  const std::string base =
      "issuer = https://idp.example\nclient_id = c\nclient_secret = s\nbase_path = /oauth2\n"
      "redirect_uri = https://app.example/oauth2/login/authorized\n"
      "cookie_secret = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
  ConfigLoad plain = parseConfig(base, {});
  ASSERT_TRUE(plain.config);
  EXPECT_FALSE(plain.config->rp_initiated_logout);
  EXPECT_EQ(plain.config->post_logout_redirect_uri, "https://app.example/oauth2/");
  ConfigLoad on = parseConfig(
      base + "rp_initiated_logout = yes\npost_logout_redirect_uri = https://app.example/bye\n", {});
  ASSERT_TRUE(on.config) << (on.problems.empty() ? "" : on.problems[0]);
  EXPECT_TRUE(on.config->rp_initiated_logout);
  EXPECT_EQ(on.config->post_logout_redirect_uri, "https://app.example/bye");
  expectProblemWith(parseConfig(base + "rp_initiated_logout = maybe\n", {}), "rp_initiated_logout");
  expectProblemWith(parseConfig(base + "post_logout_redirect_uri = http://app.example/\n", {}),
                    "post_logout_redirect_uri");
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

// token_endpoint_auth_method: the three methods, unset = follow discovery, anything else is
// an error naming the choices.
TEST(Config, TokenEndpointAuthMethod) {
  EXPECT_EQ(parse(minimal()).config->token_auth_method, TokenAuthMethod::kAuto);
  EXPECT_EQ(parse(minimalWith("token_endpoint_auth_method = client_secret_post\n"))
                .config->token_auth_method,
            TokenAuthMethod::kClientSecretPost);
  EXPECT_EQ(parse(minimalWith("token_endpoint_auth_method = Client_Secret_Basic\n"))
                .config->token_auth_method,
            TokenAuthMethod::kClientSecretBasic);
  const auto bad = parse(minimalWith("token_endpoint_auth_method = tls_client_auth\n"));
  EXPECT_EQ(problemsFor(bad, "token_endpoint_auth_method"), 1) << allProblems(bad);
  EXPECT_TRUE(
      anyProblemContains(bad, "use client_secret_basic, client_secret_post or private_key_jwt"));
}

// private_key_jwt: a key file instead of a secret; a secret left in is an error.
TEST(Config, PrivateKeyJwtNeedsKeyFileAndNoSecret) {
  const std::string jwt = "token_endpoint_auth_method = private_key_jwt\n";
  const auto no_key = parse(withoutKey(minimal(), "client_secret") + jwt);
  EXPECT_EQ(problemsFor(no_key, "client_private_key_file"), 1) << allProblems(no_key);
  EXPECT_EQ(problemsFor(no_key, "client_secret"), 0) << "no secret needed";
  const auto with_secret = parse(minimal() + jwt);
  EXPECT_EQ(problemsFor(with_secret, "client_secret"), 1) << allProblems(with_secret);
  TempFile garbage("not a key\n");
  const auto bad_key = parse(withoutKey(minimal(), "client_secret") + jwt +
                             "client_private_key_file = " + garbage.path() + "\n");
  EXPECT_TRUE(anyProblemContains(bad_key, "is not an unencrypted PEM private key"))
      << allProblems(bad_key);
}

// A key file or key id without private_key_jwt is a mistake worth reporting.
TEST(Config, ClientKeyWithoutPrivateKeyJwtIsAnError) {
  const auto load = parse(minimalWith("client_key_id = k1\n"));
  EXPECT_EQ(problemsFor(load, "client_key_id"), 1) << allProblems(load);
}

// allowed_tenants: plain tenant ids only (substituted into a URL), oidc only.
TEST(Config, AllowedTenants) {
  const std::string oidc = "issuer = https://login.microsoftonline.com/organizations/v2.0\n";
  const auto ok = parse(minimal() + oidc +
                        "allowed_tenants = 9188040d-6c67-4c5b-b112-36a304b66dad contoso.example\n");
  ASSERT_TRUE(ok.config) << allProblems(ok);
  EXPECT_EQ(ok.config->allowed_tenants.size(), 2u);
  for (const char* bad : {"a/b", "x?y", "..", "a%2Fb"}) {
    const auto load = parse(minimal() + oidc + "allowed_tenants = " + bad + "\n");
    EXPECT_EQ(problemsFor(load, "allowed_tenants"), 1) << bad;
  }
  const auto google = parse(minimalWith("allowed_tenants = t1\n"));
  EXPECT_EQ(problemsFor(google, "allowed_tenants"), 1) << "only with provider = oidc";
}

// Branding keys: plain lines of text, and a logo the pages' CSP allows (a path on this site
// or a data:image URL); anything else is refused with the key named.
TEST(ConfigBranding, TextAndLogoChecked) {
  const ConfigLoad good = parse(minimalWith(
      "site_name = Acme intranet\nbanner_text = Staff only\nfooter_text = Help: it@acme.example\n"
      "logo_url = /static/logo.png\n"));
  ASSERT_TRUE(good.config) << allProblems(good);
  EXPECT_EQ(good.config->site_name, "Acme intranet");
  EXPECT_EQ(good.config->banner_text, "Staff only");
  EXPECT_EQ(good.config->footer_text, "Help: it@acme.example");
  EXPECT_EQ(good.config->logo_url, "/static/logo.png");
  EXPECT_TRUE(parse(minimalWith("logo_url = data:image/svg+xml;base64,PHN2Zy8+\n")).config);
  for (const char* bad :
       {"https://cdn.example/logo.png", "//cdn.example/logo.png", "data:text/html;base64,PHA+",
        "data:image/png,<svg>", "logo.png", "/a\"b.png"}) {
    const ConfigLoad load = parse(minimalWith(std::string("logo_url = ") + bad + "\n"));
    EXPECT_FALSE(load.config) << bad;
    EXPECT_TRUE(anyProblemContains(load, "logo_url:")) << bad << ": " << allProblems(load);
  }
  const ConfigLoad long_name = parse(minimalWith("site_name = " + std::string(81, 'x') + "\n"));
  EXPECT_TRUE(anyProblemContains(long_name, "site_name:")) << allProblems(long_name);
}

// connect_timeout defaults to 3 s and never exceeds http_timeout.
TEST(ConfigTimeouts, ConnectTimeoutBoundedByHttpTimeout) {
  const ConfigLoad plain = parse(minimal());
  ASSERT_TRUE(plain.config);
  EXPECT_EQ(plain.config->connect_timeout, 3);
  const ConfigLoad shorter = parse(minimalWith("http_timeout = 2\n"));
  ASSERT_TRUE(shorter.config);
  EXPECT_EQ(shorter.config->connect_timeout, 2);
  const ConfigLoad set = parse(minimalWith("connect_timeout = 1\n"));
  ASSERT_TRUE(set.config);
  EXPECT_EQ(set.config->connect_timeout, 1);
  EXPECT_TRUE(anyProblemContains(parse(minimalWith("connect_timeout = 0\n")), "connect_timeout:"));
}

}  // namespace
}  // namespace latchkey
