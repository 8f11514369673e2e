// The pages a visitor sees. Templates (built-in or the site owner's templates_dir files) are
// checked once at start-up, so a broken one stops latchkey with a clear line instead of
// failing visitors at request time. Values are always HTML-escaped (template.h), and every
// page carries a Content-Security-Policy that allows exactly the page's own inline <style>
// blocks (by hash), images only from the provider, and no script at all.
#include "latchkey/pages/pages.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "latchkey/server/request_context.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/text.h"
#include "latchkey/util/url.h"
#include "pages/builtin_templates.h"
#include "pages/template.h"
#include "pages/template_policy.h"

namespace latchkey {
namespace {

using template_policy::cspProblem;
using template_policy::normaliseNewlines;
using template_policy::styleBlocks;
using template_policy::styleSources;

using Values = std::map<std::string, std::string, std::less<>>;
using NameSet = std::set<std::string, std::less<>>;

constexpr std::string_view kTemplateNames[] = {"signed_out.html", "signed_in.html", "error.html"};
// The provider's free text is quoted on the page: enough to recognise it, never a wall.
constexpr size_t kMaxProviderTextChars = 160;
// A page template is a page, not a data file: a larger one is almost surely a wrong path.
constexpr size_t kMaxTemplateBytes = 256 * 1024;

// The placeholders each page offers (docs/pages.md lists them for site owners).
const NameSet& allowedPlaceholders(std::string_view name) {
  // providers: a section repeated once per provider (its own provider, provider_id and
  // login_url inside); with a single provider it has one item.
  static const NameSet common = {"provider",   "login_url",   "logout_url",  "home_url",
                                 "site_name",  "banner_text", "footer_text", "logo_url",
                                 "request_id", "providers",   "provider_id"};
  const auto with = [](std::initializer_list<std::string> more) {
    auto s = common;
    s.insert(more);
    return s;
  };
  static const NameSet signed_out = with({"heading", "lead", "signed_out", "session_ended"});
  static const NameSet signed_in = with({"email", "name", "picture"});
  static const NameSet error =
      with({"status", "status_label", "title", "message", "hint", "owner_hint", "provider_says",
            "retry_url", "switch_url", "continue_url", "start_url"});
  if (name == "signed_in.html") {
    return signed_in;
  }
  if (name == "error.html") {
    return error;
  }
  return signed_out;
}

std::optional<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return std::nullopt;
  }
  return text.str();
}

struct Origin {
  std::string host;    // lower case, port dropped: "lh3.googleusercontent.com", "[::1]"
  std::string origin;  // "https://host[:port]", safe to place in a CSP header
};

// Scheme, host and port of an absolute URL. Only plain host names, IPv4 and bracketed IPv6
// are accepted: the origin goes into a CSP header, where a ';' or a space in a "host" would
// add a directive of the provider's choosing.
std::optional<Origin> originOf(std::string_view url) {
  const auto parsed = parseAbsoluteUrl(url);
  if (!parsed || parsed->has_userinfo) {
    return std::nullopt;  // userinfo: refuse rather than guess which host is meant
  }
  Origin o;
  o.host = parsed->host;
  o.origin = parsed->scheme + "://" + o.host;
  if (parsed->port != 0) {
    o.origin += ":" + std::to_string(parsed->port);
  }
  return o;
}

bool hostMatches(std::string_view host, std::string_view domain) {
  return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                            host[host.size() - domain.size() - 1] == '.');
}

// Error hints are written "what you can do. Site owner: what the owner can do." The page
// shows the two parts apart, so a visitor is not told to edit a configuration file.
std::pair<std::string, std::string> splitHint(std::string_view hint) {
  constexpr std::string_view kOwner = "Site owner: ";
  const size_t at = hint.find(kOwner);
  if (at == std::string_view::npos) {
    return {std::string(hint), {}};
  }
  std::string_view visitor = hint.substr(0, at);
  while (!visitor.empty() && visitor.back() == ' ') {
    visitor.remove_suffix(1);
  }
  return {std::string(visitor), std::string(hint.substr(at + kOwner.size()))};
}

// The provider's free text, cut to kMaxProviderTextChars characters (at a UTF-8 boundary)
// with an ellipsis: a whole paragraph, or a long unbroken token, says no more.
std::string shortened(std::string_view text) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && chars++ == kMaxProviderTextChars) {
      return std::string(text.substr(0, i)) + "\u2026";
    }
  }
  return std::string(text);
}

}  // namespace

struct Pages::Impl {
  // A copy: the Config that Pages::load saw may be moved away afterwards (a reload builds the
  // runtime from it), and a page must never read settings through a dangling pointer.
  Config config;
  std::string provider_name;
  std::string login_url;  // with several providers and one chosen: ".../login?provider=ID"
  struct Choice {
    std::string id;
    std::string name;
    std::string login_url;
  };
  std::vector<Choice> choices;  // the buttons, in order
  std::string logout_url;
  std::string home_url;
  std::string img_src;  // the img-src sources every page allows
  struct Page {
    HtmlTemplate tpl;
    std::string style_sources;
  };
  std::map<std::string, Page, std::less<>> pages;

  // Pictures only from the provider's own https hosts: never a tracking pixel elsewhere.
  // Returns the origin to allow in img-src, or nullopt to show no picture.
  std::optional<std::string> pictureOrigin(std::string_view url) const {
    if (url.size() > 2048 || !toLowerAscii(url.substr(0, 8)).starts_with("https://")) {
      return std::nullopt;
    }
    const auto origin = originOf(url);
    if (!origin) {
      return std::nullopt;
    }
    const auto issuer = originOf(config.issuer);
    const bool issuer_host = issuer && origin->host == issuer->host;
    bool allowed = false;
    switch (config.provider) {
      case ProviderKind::kGoogle:
        allowed = hostMatches(origin->host, "googleusercontent.com");
        break;
      case ProviderKind::kGithub:
        allowed = hostMatches(origin->host, "githubusercontent.com") || issuer_host;
        break;
      case ProviderKind::kOidc:
        allowed = issuer_host;
        break;
    }
    return allowed ? std::optional<std::string>(origin->origin) : std::nullopt;
  }

  // /login, with where to land afterwards when that is not the start page.
  // prompt goes first: /login reads all of a query that starts with rd= as the return address.
  std::string loginUrl(std::string_view return_to, bool choose_account = false) const {
    return loginUrl(login_url, return_to, choose_account);
  }
  static std::string loginUrl(std::string_view base, std::string_view return_to,
                              bool choose_account) {
    std::string url(base);
    char sep = url.find('?') == std::string::npos ? '?' : '&';
    if (choose_account) {
      url += sep + std::string("prompt=select_account");
      sep = '&';
    }
    if (!return_to.empty() && return_to != "/") {
      url += sep + std::string("rd=") + urlEncode(return_to);
    }
    return url;
  }

  Response render(int status, std::string_view name, Values values, std::string_view img_origin,
                  std::string_view return_to = {}) const {
    HtmlTemplate::Lists lists;
    std::vector<Values>& buttons = lists["providers"];
    for (const Choice& choice : choices) {
      buttons.push_back({{"provider", choice.name},
                         {"provider_id", choice.id},
                         {"login_url", loginUrl(choice.login_url, return_to, false)}});
    }
    values.emplace("provider", provider_name);
    values.emplace("provider_id", config.provider_id);
    values.emplace("login_url", login_url);
    values.emplace("logout_url", logout_url);
    values.emplace("home_url", home_url);
    values.emplace("site_name", config.site_name);
    values.emplace("banner_text", config.banner_text);
    values.emplace("footer_text", config.footer_text);
    values.emplace("logo_url", config.logo_url);
    values.emplace("request_id", std::string(currentRequestId()));
    const Page& page = pages.find(name)->second;
    Response response;
    response.status = status;
    response.body = page.tpl.render(values, lists);
    response.addHeader("Content-Type", "text/html; charset=utf-8");
    std::string csp = "default-src 'none'; style-src" + page.style_sources + "; img-src " + img_src;
    if (!img_origin.empty()) {
      csp += " " + std::string(img_origin);
    }
    csp += "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    addSecurityHeaders(response, csp);
    if (status >= 400 && !currentRequestId().empty()) {
      response.addHeader("X-Request-Id", std::string(currentRequestId()));
    }
    return response;
  }
};

Pages::Pages(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pages::~Pages() = default;

const std::vector<std::string>& Pages::templateNames() {
  static const std::vector<std::string> names(std::begin(kTemplateNames), std::end(kTemplateNames));
  return names;
}

std::unique_ptr<Pages> Pages::load(const Config& config, std::vector<std::string>& problems) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->provider_name = providerDisplayName(config);
  impl->login_url = config.base_path + "/login";
  if (config.provider_choices.empty()) {
    impl->choices.push_back({{}, impl->provider_name, impl->login_url});
  } else {
    for (const ProviderChoice& choice : config.provider_choices) {
      impl->choices.push_back(
          {choice.id, choice.display_name, impl->login_url + "?provider=" + choice.id});
    }
    // The pages of no one provider (the picker, a /login for an unknown provider) speak of
    // the visitor's choice; a provider's own pages (its errors, signed in) name it.
    impl->provider_name = "your provider";
  }
  if (!config.provider_id.empty()) {
    impl->provider_name = providerDisplayName(config);
    impl->login_url += "?provider=" + config.provider_id;
  }
  impl->logout_url = config.base_path + "/logout";
  impl->home_url = config.base_path + "/";
  // data: images let a site owner inline a logo; they cannot carry anything out. 'self'
  // only when the logo is a path on this site.
  impl->img_src = config.logo_url.starts_with('/') ? "'self' data:" : "data:";
  const size_t problems_before = problems.size();
  const auto problem = [&](std::string_view file, const std::string& what) {
    problems.push_back("templates_dir: " + std::string(file) + ": " + what);
  };

  if (!config.templates_dir.empty()) {
    // A misspelt file name would silently leave the built-in page in place: name it instead.
    std::error_code ec;
    size_t known = 0;
    for (const auto& entry : std::filesystem::directory_iterator(config.templates_dir, ec)) {
      const std::string file = entry.path().filename().string();
      if (std::find(std::begin(kTemplateNames), std::end(kTemplateNames), file) !=
          std::end(kTemplateNames)) {
        ++known;
      } else if (file.ends_with(".html")) {
        problem(file,
                "is not a page latchkey knows; the names are signed_out.html, "
                "signed_in.html and error.html (rename or remove it)");
      }
    }
    if (ec) {
      problems.push_back("templates_dir: " + config.templates_dir + " cannot be listed (" +
                         ec.message() + "); make it readable by latchkey's user");
    } else if (known == 0) {
      problems.push_back("templates_dir: " + config.templates_dir +
                         " holds none of signed_out.html, signed_in.html, error.html; put "
                         "templates there or remove the key to use the built-in pages");
    }
  }

  for (const std::string_view name : kTemplateNames) {
    std::string text = builtinTemplate(name);
    if (!config.templates_dir.empty()) {
      const std::filesystem::path path = std::filesystem::path(config.templates_dir) / name;
      std::error_code ec;
      if (std::filesystem::exists(path, ec)) {
        auto custom = std::filesystem::is_regular_file(path, ec) ? readFile(path) : std::nullopt;
        if (!custom) {
          problem(name, "cannot be read; make it a file readable by latchkey's user");
          continue;
        }
        text = std::move(*custom);
      }
    }
    if (text.size() > kMaxTemplateBytes) {
      problem(name, "is larger than 256 KiB; a page template should be a few KiB");
      continue;
    }
    // Browsers decode a page as UTF-8 (the Content-Type says so); a byte sequence that is not
    // UTF-8 turns into U+FFFD and the <style> hash would no longer match what the browser hashes.
    if (!isValidUtf8(text)) {
      problem(name, "is not valid UTF-8; save it as UTF-8");
      continue;
    }
    text = normaliseNewlines(text);
    const auto blocks = styleBlocks(text);
    if (!blocks) {
      problem(name, blocks.error().detail);
      continue;
    }
    if (const auto csp = cspProblem(text, *blocks)) {
      problem(name, *csp);
      continue;
    }
    auto tpl = HtmlTemplate::parse(text, allowedPlaceholders(name));
    if (!tpl) {
      problem(name, tpl.error().detail +
                        "; fix the template (docs/pages.md lists the placeholders of each page)");
      continue;
    }
    impl->pages.emplace(std::string(name),
                        Impl::Page{std::move(*tpl), styleSources(text, *blocks)});
  }
  if (problems.size() != problems_before) {
    return nullptr;
  }
  return std::unique_ptr<Pages>(new Pages(std::move(impl)));  // NOLINT: private constructor
}

Response Pages::signedOut(SignedOutReason reason, std::string_view return_to) const {
  const std::string& site = impl_->config.site_name;
  const std::string& provider = impl_->provider_name;
  Values values{{"login_url", impl_->loginUrl(return_to)}};
  switch (reason) {
    case SignedOutReason::kWelcome:
      values.emplace("heading", site.empty() ? "Welcome" : "Welcome to " + site);
      values.emplace("lead", "Sign in to continue to this site.");
      break;
    case SignedOutReason::kSignedOut:
      values.emplace("signed_out", "1");
      values.emplace("heading", "You have signed out");
      values.emplace("lead", "You are signed out of " + (site.empty() ? "this site" : site) +
                                 ". You may still be signed in at " + provider +
                                 "; on a shared computer, sign out there too.");
      break;
    case SignedOutReason::kChooseProvider:
      values.emplace("heading", site.empty() ? "Sign in" : "Sign in to " + site);
      values.emplace("lead", "Choose how to sign in.");
      break;
    case SignedOutReason::kSessionEnded:
      values.emplace("session_ended", "1");
      values.emplace("heading", "Your session has ended");
      values.emplace("lead",
                     "Your sign-in expired or could no longer be verified, so you are "
                     "signed out. Sign in again to continue.");
      break;
  }
  return impl_->render(200, "signed_out.html", std::move(values), {}, return_to);
}

Response Pages::signedIn(std::string_view email, std::string_view name,
                         std::string_view picture) const {
  Values values{{"email", std::string(email)}, {"name", std::string(name)}};
  std::string img_origin;
  if (auto origin = impl_->pictureOrigin(picture)) {
    values.emplace("picture", std::string(picture));
    img_origin = std::move(*origin);
  }
  return impl_->render(200, "signed_in.html", std::move(values), img_origin);
}

Response Pages::error(const ErrorPage& page) const {
  auto [hint, owner_hint] = splitHint(page.hint);
  Values values{{"status", std::to_string(page.status)},
                {"status_label", page.status >= 400 ? "Error " + std::to_string(page.status) : ""},
                {"title", page.title},
                {"message", page.message},
                {"hint", std::move(hint)},
                {"owner_hint", std::move(owner_hint)},
                {"provider_says", shortened(page.provider_says)},
                {"login_url", impl_->loginUrl(page.return_to)}};
  // Signing in again is the way out of every sign-in failure; for a wrong address or
  // method it would be a non sequitur.
  const bool wrong_request = page.status == 404 || page.status == 405 || page.status == 413;
  const NextStep next =
      page.next.value_or(wrong_request ? NextStep::kNone : NextStep::kSignInAgain);
  switch (next) {
    case NextStep::kSignInAgain:
      values.emplace("retry_url", impl_->loginUrl(page.return_to));
      values.emplace("start_url", impl_->home_url);
      break;
    case NextStep::kOtherAccount:
      // No "start page": for a refused account that is this same page again.
      values.emplace("switch_url", impl_->loginUrl(page.return_to, /*choose_account=*/true));
      break;
    case NextStep::kContinue:
      values.emplace("continue_url", page.return_to.empty() ? impl_->home_url : page.return_to);
      break;
    case NextStep::kNone:
      values.emplace("start_url", impl_->home_url);
      break;
  }
  Response response =
      impl_->render(page.status, "error.html", std::move(values), {}, page.return_to);
  if (page.status == 503) {
    // RFC 9110 §10.2.3: the condition is momentary, so the client may come back at once.
    response.addHeader("Retry-After", "1");
  }
  return response;
}

Response Pages::notFound() const {
  return error({404, "Page not found", "There is nothing at this address.",
                "Check the link, or go back to the start page."});
}

Response Pages::methodNotAllowed(std::string_view allow) const {
  Response response =
      error({405, "Method not allowed", "This address does not answer that kind of request.", ""});
  response.addHeader("Allow", std::string(allow));
  return response;
}

void addSecurityHeaders(Response& response, std::string_view csp) {
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("X-Content-Type-Options", "nosniff");
  response.addHeader("X-Frame-Options", "DENY");
  response.addHeader("Referrer-Policy", "no-referrer");
  response.addHeader("Content-Security-Policy", std::string(csp));
}

}  // namespace latchkey
