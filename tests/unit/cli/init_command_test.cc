// latchkey init: arguments, the plan (redirect URI, base path, snippet, next steps, a config
// holding the secret), and the file: owner-only before the secret, never overwritten without
// --force, and a configuration latchkey accepts once the client secret is added.
#include "cli/init_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "latchkey/config/config.h"
#include "support/temp_dir.h"

namespace latchkey {
namespace {

using Args = std::vector<std::string_view>;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Required options, known values, and an oidc provider needs its issuer.
TEST(InitCommand, ArgumentsAreChecked) {
  EXPECT_FALSE(parseInitArguments({"--server", "nginx"}));
  EXPECT_FALSE(parseInitArguments({"--site", "https://example.com"}));
  auto bad_server = parseInitArguments({"--server", "lighttpd", "--site", "https://example.com"});
  ASSERT_FALSE(bad_server);
  EXPECT_NE(bad_server.error().detail.find("apache-fcgid"), std::string::npos);
  EXPECT_FALSE(parseInitArguments({"--server", "nginx", "--site", "https://e.com", "--bogus"}));
  EXPECT_FALSE(parseInitArguments({"--server", "nginx", "--site", "https://e.com", "--config"}));
  EXPECT_FALSE(
      parseInitArguments({"--server", "nginx", "--site", "https://e.com", "--provider", "oidc"}));
  auto ok = parseInitArguments({"--server", "apache-fcgid", "--site", "https://e.com/auth",
                                "--issuer", "https://id.example.com", "--client-id", "c1",
                                "--config", "/tmp/x.conf", "--force"});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->server, InitServer::kApacheFcgid);
  EXPECT_EQ(ok->provider, "oidc");  // an issuer names an OpenID provider
  EXPECT_TRUE(ok->force);
}

// The site gives the redirect URI and base_path; the snippet and steps name them; the
// secret is in the config text only.
TEST(InitCommand, PlanForNginxUnderABasePath) {
  auto options = parseInitArguments(
      {"--server", "nginx", "--site", "https://example.com/oauth2/", "--client-id", "c1"});
  ASSERT_TRUE(options);
  auto plan = planInit(*options, "SECRET-B64", InstalledPaths{});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->redirect_uri, "https://example.com/oauth2/login/authorized");
  EXPECT_EQ(plan->base_path, "/oauth2");
  EXPECT_NE(plan->config_text.find("cookie_secret = SECRET-B64\n"), std::string::npos);
  EXPECT_NE(plan->config_text.find("base_path = /oauth2\n"), std::string::npos);
  EXPECT_NE(plan->config_text.find("client_id = c1\n"), std::string::npos);
  EXPECT_NE(plan->snippet.find("location = /oauth2/auth {"), std::string::npos);
  EXPECT_NE(plan->snippet.find("fastcgi_param DOCUMENT_URI /oauth2/login;"), std::string::npos);
  EXPECT_NE(plan->snippet.find("fastcgi_param LATCHKEY_RETURN_URI $request_uri;"),
            std::string::npos);
  EXPECT_NE(plan->snippet.find("return 302 /oauth2/signed-out?rd=$request_uri;"),
            std::string::npos);
  EXPECT_EQ(plan->snippet.find("SECRET"), std::string::npos);
  std::string steps;
  for (const auto& s : plan->next_steps)
    steps += s + "\n";
  EXPECT_EQ(steps.find("SECRET"), std::string::npos);
  EXPECT_NE(steps.find("--check"), std::string::npos);
  EXPECT_NE(steps.find("latchkey.socket"), std::string::npos);
}

// Plain http only on loopback; the fcgid plan names the wrapper and the group step.
TEST(InitCommand, SitesAndServers) {
  auto remote = parseInitArguments({"--server", "nginx", "--site", "http://example.com"});
  ASSERT_TRUE(remote);
  EXPECT_FALSE(planInit(*remote, "s", {}));
  auto query = parseInitArguments({"--server", "nginx", "--site", "https://example.com/?a=1"});
  EXPECT_FALSE(planInit(*query, "s", {}));
  auto local = parseInitArguments({"--server", "apache-fcgid", "--site", "http://127.0.0.1:8080"});
  auto plan = planInit(*local, "s", {});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->redirect_uri, "http://127.0.0.1:8080/login/authorized");
  EXPECT_NE(plan->snippet.find("AliasMatch \"^/(login|"), std::string::npos);
  EXPECT_NE(plan->snippet.find("DOCUMENT_URI=$1"), std::string::npos);
  std::string steps;
  for (const auto& s : plan->next_steps)
    steps += s + "\n";
  EXPECT_NE(steps.find("client_id = "), std::string::npos) << "no --client-id: a step adds it";
  EXPECT_NE(steps.find("adduser www-data latchkey"), std::string::npos);
  EXPECT_NE(steps.find("printf '#!/bin/sh\\nexec /usr/bin/latchkey --config "
                       "/etc/latchkey/latchkey.conf\\n' > /usr/lib/cgi-bin/latchkey.fcgi"),
            std::string::npos);
}

// The Apache recipes that run latchkey themselves name the installed binary and recipes; each
// says how to put a folder behind the sign-in.
TEST(InitCommand, ApachePlansNameTheInstalledFilesAndTheFolderGate) {
  const InstalledPaths local{"/usr/local/bin/latchkey", "/usr/local/share/latchkey"};
  auto proxy = parseInitArguments({"--server", "apache-proxy-fcgi", "--site", "https://e.com"});
  ASSERT_TRUE(proxy);
  auto proxy_plan = planInit(*proxy, "s", local);
  ASSERT_TRUE(proxy_plan);
  EXPECT_NE(proxy_plan->snippet.find("proxy:unix:/run/latchkey/latchkey.sock|fcgi://latchkey/"),
            std::string::npos);
  EXPECT_NE(
      proxy_plan->snippet.find("# and a folder behind the sign-in: "
                               "/usr/local/share/latchkey/apache/latchkey-authnz-fcgi.conf\n"),
      std::string::npos);

  auto fcgid = parseInitArguments({"--server", "apache-fcgid", "--site", "https://e.com"});
  auto fcgid_plan = planInit(*fcgid, "s", local);
  ASSERT_TRUE(fcgid_plan);
  std::string steps;
  for (const auto& s : fcgid_plan->next_steps)
    steps += s + "\n";
  EXPECT_NE(steps.find("exec /usr/local/bin/latchkey --config"), std::string::npos);

  auto cgi = parseInitArguments({"--server", "apache-cgi", "--site", "https://e.com/~ann",
                                 "--config", "/home/ann/latchkey/latchkey.conf"});
  auto cgi_plan = planInit(*cgi, "s", local);
  ASSERT_TRUE(cgi_plan);
  const std::string& snippet = cgi_plan->snippet;
  const std::string paths =
      "LATCHKEY=/usr/local/bin/latchkey\nCONFIG=/home/ann/latchkey/latchkey.conf\n";
  EXPECT_NE(
      snippet.find("/usr/local/share/latchkey/apache/latchkey.cgi, its CHANGE lines:\n" + paths),
      std::string::npos);
  EXPECT_NE(snippet.find("# public_html/private/.htaccess: "
                         "/usr/local/share/latchkey/apache/htaccess-protect-folder\n"),
            std::string::npos);
  EXPECT_NE(snippet.find("/usr/local/share/latchkey/apache/latchkey-gate.cgi, its CHANGE lines:\n" +
                         paths + "BASE_PATH=/~ann\nPROTECTED_URL=/~ann/private\nPROTECTED_DIR="),
            std::string::npos);
}

// The written file is not world-readable, is refused a second time, replaced with --force,
// and is a configuration latchkey loads once the client secret line is appended.
TEST(InitCommand, WritesOnceAndLoads) {
  testing::TempDir dir;
  const std::string path = dir.file("etc/latchkey.conf");
  const Args args = {"--server",    "nginx",
                     "--site",      "http://127.0.0.1:8080",
                     "--issuer",    "http://127.0.0.1:9/",
                     "--client-id", "c1",
                     "--config",    path};
  ASSERT_EQ(runInit(args), 0);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u) << "no access for others";
  const std::string first = readFile(path);
  EXPECT_EQ(runInit(args), 1) << "an existing file is kept";
  EXPECT_EQ(readFile(path), first);
  Args forced = args;
  forced.push_back("--force");
  ASSERT_EQ(runInit(forced), 0);
  EXPECT_NE(readFile(path), first) << "a new secret";
  std::ofstream(path, std::ios::app) << "client_secret = s3cret\n";
  const ConfigLoad loaded = loadConfig(path, {});
  EXPECT_TRUE(loaded.config) << (loaded.problems.empty() ? "" : loaded.problems.front());
}

}  // namespace
}  // namespace latchkey
