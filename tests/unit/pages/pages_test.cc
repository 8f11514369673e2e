// Pages: templates_dir loading and refusal, escaping of every placeholder, the CSP's style
// hashes, pictures only from the provider, and the error pages the issue names.
#include "latchkey/pages/pages.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "latchkey/app/error_pages.h"
#include "latchkey/app/router.h"
#include "latchkey/server/request_context.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"

namespace latchkey {
namespace {

Config pagesConfig() {
  Config config;
  config.provider = ProviderKind::kOidc;
  config.issuer = "https://idp.example";
  config.redirect_uri = "https://app.example/login/authorized";
  return config;
}

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pages_test.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  void write(const std::string& name, std::string_view text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct Loaded {
  std::unique_ptr<Pages> pages;
  std::vector<std::string> problems;
  std::string all() const {
    std::string s;
    for (const auto& p : problems) {
      s += p + "\n";
    }
    return s;
  }
};

Loaded loadWith(const std::string& dir) {
  Config config = pagesConfig();
  config.templates_dir = dir;
  Loaded l;
  // Pages keeps a pointer to the config: give it one that outlives the test.
  static std::vector<std::unique_ptr<Config>> keep;
  keep.push_back(std::make_unique<Config>(config));
  l.pages = Pages::load(*keep.back(), l.problems);
  return l;
}

std::string csp(const Response& r) {
  return std::string(r.header("Content-Security-Policy").value_or(""));
}

// The 'sha256-...' sources the CSP must list for the <style> blocks in a body.
std::vector<std::string> expectedStyleHashes(const std::string& body) {
  std::vector<std::string> out;
  // A plain scan rather than std::regex: gcc 12 warns inside <regex> under the ASan build.
  std::string lower = body;  // tags are case-insensitive; positions stay the same
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  size_t pos = 0;
  while ((pos = lower.find("<style", pos)) != std::string::npos) {
    const size_t open_end = lower.find('>', pos);
    const size_t close = lower.find("</style>", open_end);
    if (open_end == std::string::npos || close == std::string::npos) {
      break;
    }
    const auto digest = sha256(std::string_view(body).substr(open_end + 1, close - open_end - 1));
    pos = close;
    out.push_back(
        "'sha256-" +
        base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()),  // NOLINT
                                      digest.size())) +
        "'");
  }
  return out;
}

const char kGoodSignedIn[] =
    "<!doctype html><html lang=\"de\"><title>Angemeldet</title>"
    "<style>body{color:red}</style>"
    "<p class=custom>Hallo {{name}} ({{email}}) {{#picture}}<img src=\"{{picture}}\" alt=\"\">"
    "{{/picture}}<form method=post action=\"{{logout_url}}\"><button>Abmelden</button></form>";

// A file in templates_dir replaces that page; the other pages stay the built-in ones.
TEST(Pages, CustomTemplateIsUsed) {
  TempDir dir;
  dir.write("signed_in.html", kGoodSignedIn);
  const Loaded l = loadWith(dir.path());
  ASSERT_TRUE(l.pages) << l.all();
  const Response in = l.pages->signedIn("a@example.com", "Anna", "");
  EXPECT_NE(in.body.find("<p class=custom>Hallo Anna (a@example.com)"), std::string::npos)
      << in.body;
  EXPECT_NE(in.body.find("action=\"/logout\""), std::string::npos);
  const Response out = l.pages->signedOut();
  EXPECT_NE(out.body.find("Sign in with idp.example"), std::string::npos);
}

// Each kind of broken template stops start-up with one "templates_dir: <file>: ..." line
// that says what is wrong.
TEST(Pages, BrokenTemplateRefusedWithClearProblem) {
  const std::pair<std::string, std::string> cases[] = {
      {"<p>{{nmae}}</p>", "unknown placeholder {{nmae}}"},
      {"<p>{{#picture}}x</p>", "never closed"},
      {"<p>{{email}</p>", "never closed"},
      {"<script>alert(1)</script>", "<script>"},
      {"<p style=\"color:red\">x</p>", "style=\"...\" attribute"},
      {"<link rel=stylesheet href=/x.css>", "links a stylesheet"},
      {"<style>p{color:{{name}}}</style>", "inside <style>"},
      {"<style>p{}", "never closed with </style>"},
      {"<img src=\"https://cdn.example/logo.png\" alt=\"\">", "from another site"},
      {"<img alt='' src='//cdn.example/logo.png'>", "from another site"},
      {"<style>@import url(/x.css);</style>", "@import"},
      {"<style>body{background:url('https://t.example/p.gif')}</style>", "url(...)"},
      {"<body onload=\"go()\">", "event handler"},
      {"<img src=\"/a.png\" alt=\"\"onerror=x>", "event handler"},
      {"<form action=\"https://evil.example/\" method=post></form>", "posts to another site"},
      {"<button formaction=\"//evil.example/\">x</button>", "posts to another site"},
      {"<p>\xC3\x28</p>", "not valid UTF-8"},
      {std::string(300 * 1024, 'x'), "larger than 256 KiB"},
  };
  for (const auto& [text, expected] : cases) {
    TempDir dir;
    dir.write("signed_in.html", text);
    const Loaded l = loadWith(dir.path());
    EXPECT_FALSE(l.pages) << expected;
    ASSERT_EQ(l.problems.size(), 1u) << l.all();
    EXPECT_TRUE(l.problems[0].starts_with("templates_dir: signed_in.html: ")) << l.problems[0];
    EXPECT_NE(l.problems[0].find(expected), std::string::npos) << l.problems[0];
  }
}

// What the CSP allows is not refused: local and data: images, the {{placeholders}} latchkey
// fills itself, forms posting to this site, words that merely contain "on".
TEST(Pages, CspAllowedMarkupAccepted) {
  TempDir dir;
  dir.write("signed_in.html",
            "<img src=\"/static/logo.png\" alt=\"\"><img src=\"data:image/png;base64,AA==\" "
            "alt=\"\">{{#picture}}<img src=\"{{picture}}\" alt=\"\">{{/picture}}"
            "<style>p{background:url(/bg.png)}</style><meta name=\"x\" content=\"a b\">"
            "<form method=post action=\"{{logout_url}}\"><button>Sign out</button></form>"
            "<a href=\"https://elsewhere.example/\">a link</a><p>Button on=off</p>");
  const Loaded l = loadWith(dir.path());
  EXPECT_TRUE(l.pages) << l.all();
}

// The landing pages say why the visitor is signed out, and the sign-in link keeps rd.
TEST(Pages, SignedOutPageSaysWhy) {
  std::vector<std::string> problems;
  Config config = pagesConfig();
  config.site_name = "Acme intranet";
  auto pages = Pages::load(config, problems);
  ASSERT_TRUE(pages);
  EXPECT_NE(pages->signedOut().body.find("<h1>Welcome to Acme intranet</h1>"), std::string::npos);
  const Response out = pages->signedOut(SignedOutReason::kSignedOut, "/app/x?y=1");
  EXPECT_NE(out.body.find("<h1>You have signed out</h1>"), std::string::npos);
  EXPECT_NE(out.body.find("href=\"/login?rd=%2Fapp%2Fx%3Fy%3D1\""), std::string::npos) << out.body;
  const Response ended = pages->signedOut(SignedOutReason::kSessionEnded, "/");
  EXPECT_NE(ended.body.find("<h1>Your session has ended</h1>"), std::string::npos);
  EXPECT_NE(ended.body.find("href=\"/login\""), std::string::npos);
}

// Error pages: "Sign in again" keeps rd, a refused account gets "Use another account" with
// prompt=select_account and no loop back to the start page, a reused callback "Continue";
// the provider's words are labelled and shortened.
TEST(Pages, ErrorPagesLeadOn) {
  std::vector<std::string> problems;
  const Config config = pagesConfig();
  auto pages = Pages::load(config, problems);
  ASSERT_TRUE(pages);
  ErrorPage failed{401, "T", "M", "H"};
  failed.return_to = "/app/";
  failed.provider_says = std::string(500, 'x');
  const Response retry = pages->error(failed);
  EXPECT_NE(retry.body.find("<a class=\"button\" href=\"/login?rd=%2Fapp%2F\">Sign in again"),
            std::string::npos)
      << retry.body;
  EXPECT_NE(retry.body.find("idp.example said:</strong> " + std::string(160, 'x') + "\u2026<"),
            std::string::npos)
      << retry.body;

  ErrorPage refused = errorPageFor(makeError(Errc::kEmailNotAllowed, "bob@example.org"), config);
  refused.return_to = "/app/";
  const Response other = pages->error(refused);
  EXPECT_EQ(other.status, 403);
  EXPECT_NE(
      other.body.find("href=\"/login?prompt=select_account&amp;rd=%2Fapp%2F\">Use another account"),
      std::string::npos)
      << other.body;
  EXPECT_EQ(other.body.find("Sign in again"), std::string::npos);
  EXPECT_EQ(other.body.find("Back to the start page"), std::string::npos);

  ErrorPage already{200, "You are already signed in", "M"};
  already.next = NextStep::kContinue;
  const Response cont = pages->error(already);
  EXPECT_NE(cont.body.find("<a class=\"button\" href=\"/\">Continue</a>"), std::string::npos);
  EXPECT_EQ(cont.body.find("Error 200"), std::string::npos);
}

// Branding: the site's name, banner, footer and logo on every page; a logo on this site's
// path is allowed by the CSP ('self'), a data: one needs nothing more.
TEST(Pages, BrandingOnEveryPage) {
  std::vector<std::string> problems;
  Config config = pagesConfig();
  config.site_name = "Acme";
  config.banner_text = "Staff only";
  config.footer_text = "Help: it@acme.example";
  config.logo_url = "/static/logo.png";
  auto pages = Pages::load(config, problems);
  ASSERT_TRUE(pages);
  for (const Response& r :
       {pages->signedOut(), pages->signedIn("a@b", "A", ""), pages->error({500, "T", "M", ""})}) {
    EXPECT_NE(r.body.find("<header class=\"site\"><p>Staff only</p></header>"), std::string::npos);
    EXPECT_NE(r.body.find("<p>Help: it@acme.example</p>"), std::string::npos);
    EXPECT_NE(r.body.find("<img class=\"logo\" src=\"/static/logo.png\" alt=\"Acme\">"),
              std::string::npos);
    EXPECT_NE(r.body.find(" \u00b7 Acme</title>"), std::string::npos);
    EXPECT_NE(csp(r).find("img-src 'self' data:"), std::string::npos) << csp(r);
  }
}

// A misspelt file name, a directory without any template and an unreadable template are
// start-up problems too, never a silent fall-back to the built-in page.
TEST(Pages, TemplatesDirMistakesRefused) {
  TempDir typo;
  typo.write("signed-in.html", kGoodSignedIn);
  const Loaded l = loadWith(typo.path());
  EXPECT_FALSE(l.pages);
  EXPECT_NE(l.all().find("signed-in.html: is not a page latchkey knows"), std::string::npos)
      << l.all();
  EXPECT_NE(l.all().find("holds none of"), std::string::npos) << l.all();

  TempDir as_dir;
  std::filesystem::create_directory(as_dir.path() + "/error.html");
  const Loaded d = loadWith(as_dir.path());
  EXPECT_FALSE(d.pages);
  EXPECT_NE(d.all().find("error.html: cannot be read"), std::string::npos) << d.all();
}

// Every placeholder of every page is HTML-escaped, in text and in attributes.
TEST(Pages, EveryPlaceholderEscaped) {
  TempDir dir;
  const std::string hostile = "<b x='1'>\"&";
  const std::string escaped = "&lt;b x=&#39;1&#39;&gt;&quot;&amp;";
  dir.write("signed_in.html",
            "<p>{{email}}|{{name}}|{{provider}}|{{login_url}}|{{logout_url}}|{{home_url}}</p>");
  dir.write("error.html",
            "<p title=\"{{title}}\">{{status}}|{{title}}|{{message}}|{{hint}}|{{owner_hint}}|"
            "{{retry_url}}</p>");
  Config config = pagesConfig();
  config.templates_dir = dir.path();
  config.provider = ProviderKind::kOidc;
  config.issuer = "https://idp.example";
  config.base_path = "/o\"<x>";  // config validation forbids this; the pages escape it anyway
  std::vector<std::string> problems;
  auto pages = Pages::load(config, problems);
  ASSERT_TRUE(pages);

  const Response in = pages->signedIn(hostile, hostile, "");
  EXPECT_EQ(in.body, "<p>" + escaped + "|" + escaped +
                         "|idp.example|/o&quot;&lt;x&gt;/login|/o&quot;&lt;x&gt;/logout|"
                         "/o&quot;&lt;x&gt;/</p>");
  const Response err = pages->error({400, hostile, hostile, hostile + " Site owner: " + hostile});
  EXPECT_EQ(err.body, "<p title=\"" + escaped + "\">400|" + escaped + "|" + escaped + "|" +
                          escaped + "|" + escaped + "|/o&quot;&lt;x&gt;/login</p>");
  EXPECT_EQ(err.status, 400);
}

// The CSP lists exactly the sha256 of each <style> block, as the browser computes it, on the
// built-in pages and on a custom template saved with CRLF line ends (the HTML parser turns
// them into LF before hashing).
TEST(Pages, CspHashMatchesStyleBlock) {
  std::vector<std::string> problems;
  const Config config = pagesConfig();
  auto builtin = Pages::load(config, problems);
  ASSERT_TRUE(builtin);
  for (const Response& r : {builtin->signedOut(), builtin->signedIn("a@b", "A", ""),
                            builtin->error({502, "t", "m", "h"}), builtin->notFound()}) {
    const auto hashes = expectedStyleHashes(r.body);
    ASSERT_EQ(hashes.size(), 1u);
    EXPECT_NE(csp(r).find("style-src " + hashes[0] + ";"), std::string::npos) << csp(r);
    EXPECT_NE(csp(r).find("default-src 'none'"), std::string::npos);
    EXPECT_EQ(csp(r).find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(csp(r).find("script-src"), std::string::npos);  // default-src 'none' covers it
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  }

  TempDir dir;
  dir.write("signed_out.html",
            "\xEF\xBB\xBF<style media=\"screen\">\r\na{color:red}\r\n</style><STYLE>b{}</STYLE>"
            "<a href=\"{{login_url}}\">in</a>");
  const Loaded l = loadWith(dir.path());
  ASSERT_TRUE(l.pages) << l.all();
  const Response out = l.pages->signedOut();
  EXPECT_EQ(out.body.find('\r'), std::string::npos);
  const auto hashes = expectedStyleHashes(out.body);
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_NE(csp(out).find("style-src " + hashes[0] + " " + hashes[1] + ";"), std::string::npos)
      << csp(out);
}

// A page without <style> allows no style at all.
TEST(Pages, NoStyleBlockMeansNoStyleSource) {
  TempDir dir;
  dir.write("error.html", "<h1>{{title}}</h1>");
  const Loaded l = loadWith(dir.path());
  ASSERT_TRUE(l.pages) << l.all();
  EXPECT_NE(csp(l.pages->notFound()).find("style-src 'none'"), std::string::npos);
}

// The picture is shown only from the provider's own https hosts, and the CSP allows exactly
// that origin; anything else (another host, http, userinfo, a host that would inject a CSP
// directive) shows no <img> and allows no image host.
TEST(Pages, PictureOnlyFromProviderHosts) {
  Config google = pagesConfig();
  google.provider = ProviderKind::kGoogle;
  google.issuer = "https://accounts.google.com";
  std::vector<std::string> problems;
  auto pages = Pages::load(google, problems);
  ASSERT_TRUE(pages);
  const Response ok = pages->signedIn("a@b", "A", "https://lh3.googleusercontent.com/a/pic=s96-c");
  EXPECT_NE(ok.body.find("<img src=\"https://lh3.googleusercontent.com/a/pic=s96-c\""),
            std::string::npos);
  EXPECT_NE(csp(ok).find("img-src data: https://lh3.googleusercontent.com;"), std::string::npos)
      << csp(ok);

  for (const char* bad :
       {"https://evil.example/pixel.gif", "http://lh3.googleusercontent.com/a",
        "https://googleusercontent.com.evil.example/a", "https://x@lh3.googleusercontent.com/a",
        "https://a;script-src 'unsafe-inline' .googleusercontent.com/x",
        "https://evilgoogleusercontent.com/a", "javascript:alert(1)", "",
        "https://lh3.googleusercontent.com:99999/a"}) {
    const Response r = pages->signedIn("a@b", "A", bad);
    EXPECT_EQ(r.body.find("<img"), std::string::npos) << bad;
    EXPECT_NE(csp(r).find("img-src data:;"), std::string::npos) << bad << " -> " << csp(r);
  }

  Config oidc = pagesConfig();
  oidc.issuer = "https://idp.example:8443/realms/x";
  auto op = Pages::load(oidc, problems);
  ASSERT_TRUE(op);
  const Response own = op->signedIn("a@b", "A", "https://IDP.example:8443/avatar/1.png");
  EXPECT_NE(own.body.find("<img"), std::string::npos);
  EXPECT_NE(csp(own).find("img-src data: https://idp.example:8443;"), std::string::npos)
      << csp(own);
  EXPECT_EQ(op->signedIn("a@b", "A", "https://cdn.example/1.png").body.find("<img"),
            std::string::npos);
}

// The built-in pages: lang, viewport, landmarks, one h1, a POST sign-out button, and the
// error page separates what the visitor can do from what the site owner must fix.
TEST(Pages, BuiltinPagesAreAccessible) {
  std::vector<std::string> problems;
  const Config config = pagesConfig();
  auto pages = Pages::load(config, problems);
  ASSERT_TRUE(pages);
  for (const Response& r :
       {pages->signedOut(), pages->signedIn("a@b", "A", ""), pages->error({502, "t", "m", "h"})}) {
    EXPECT_NE(r.body.find("<html lang=\"en\">"), std::string::npos);
    EXPECT_NE(r.body.find("name=\"viewport\""), std::string::npos);
    EXPECT_NE(r.body.find("<main>"), std::string::npos);
    EXPECT_NE(r.body.find(":focus-visible"), std::string::npos);
    EXPECT_EQ(r.body.find("<h1", r.body.find("<h1") + 1), std::string::npos) << "one h1";
  }
  const Response in = pages->signedIn("a@b", "", "");
  EXPECT_NE(in.body.find("<form class=\"actions\" method=\"post\" action=\"/logout\">"),
            std::string::npos);
  EXPECT_EQ(in.body.find("<dt>Name</dt>"), std::string::npos) << "no empty name row";

  const Response err = pages->error({502, "Down", "It is down.", "Wait. Site owner: fix it."});
  EXPECT_NE(err.body.find("<p class=\"hint\">Wait.</p>"), std::string::npos) << err.body;
  EXPECT_NE(err.body.find("For the site owner:</strong> fix it.</p>"), std::string::npos);
  EXPECT_NE(err.body.find("href=\"/login\">Sign in again"), std::string::npos);
  EXPECT_EQ(pages->notFound().body.find("Sign in again"), std::string::npos);
}

// The six failures the issue names each read as plain words with a way forward.
TEST(ErrorPages, NamedFailuresExplainAndAdvise) {
  Config config = pagesConfig();
  config.provider = ProviderKind::kGoogle;
  struct Case {
    Error error;
    int status;
    const char* title_has;
    const char* text_has;
  };
  const Case cases[] = {
      {{Errc::kProviderReturnedError, "access_denied"}, 403, "cancelled", "Allow"},
      {{Errc::kProviderReturnedError, "redirect_uri_mismatch"},
       502,
       "not set up",
       "https://app.example/login/authorized"},
      {{Errc::kTokenEndpointRefusedClient, ""}, 502, "not set up", "client_secret"},
      {{Errc::kProviderReturnedError, "invalid_client"}, 502, "not set up", "client_id"},
      {{Errc::kLoginExpired, ""}, 400, "took too long", "10 minutes"},
      {{Errc::kEmailNotAllowed, "eve@example.org"}, 403, "not allowed", "eve@example.org"},
      {{Errc::kProviderUnreachable, ""}, 502, "Google is not answering", "Wait a moment"},
  };
  for (const Case& c : cases) {
    const ErrorPage page = errorPageFor(c.error, config);
    const std::string all = page.title + " " + page.message + " " + page.hint;
    EXPECT_EQ(page.status, c.status) << all;
    EXPECT_NE(page.title.find(c.title_has), std::string::npos) << page.title;
    EXPECT_NE(all.find(c.text_has), std::string::npos) << all;
    EXPECT_FALSE(page.hint.empty()) << all;
  }
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

// The request id is on the error page, in an X-Request-Id header, and nowhere outside a
// request.
TEST(Pages, RequestIdOnErrorPages) {
  std::vector<std::string> problems;
  const Config config = pagesConfig();
  auto pages = Pages::load(config, problems);
  ASSERT_TRUE(pages);
  std::string id;
  Response r;
  {
    const ParamMap params;
    const RequestScope scope(params);
    id = std::string(currentRequestId());
    r = pages->error({502, "T", "M", ""});
  }
  ASSERT_EQ(id.size(), 16u);
  EXPECT_TRUE(currentRequestId().empty());
  EXPECT_NE(r.body.find("Request id <code>" + id + "</code>"), std::string::npos);
  EXPECT_EQ(r.header("X-Request-Id").value_or(""), id);
  EXPECT_EQ(pages->error({502, "T", "M", ""}).body.find("Request id"), std::string::npos);
}

}  // namespace
}  // namespace latchkey
