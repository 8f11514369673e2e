#include "latchkey/pages.h"

#include <fstream>
#include <set>
#include <sstream>

#include "builtin_templates.h"
#include "latchkey/crypto.h"
#include "latchkey/encoding.h"
#include "template.h"

namespace latchkey {
namespace {

using Values = std::map<std::string, std::string, std::less<>>;

const char* const kTemplateNames[] = {"signed_out.html", "signed_in.html", "error.html"};

const std::set<std::string, std::less<>>& allowedPlaceholders(std::string_view name) {
  static const std::set<std::string, std::less<>> common = {"provider", "login_url",
                                                            "logout_url", "home_url"};
  static const std::set<std::string, std::less<>> signed_in = [] {
    auto s = common;
    s.insert({"email", "name", "picture"});
    return s;
  }();
  static const std::set<std::string, std::less<>> error = [] {
    auto s = common;
    s.insert({"status", "title", "message", "hint"});
    return s;
  }();
  if (name == "signed_in.html") {
    return signed_in;
  }
  if (name == "error.html") {
    return error;
  }
  return common;
}

// The CSP allows the page's own inline <style> blocks by hash (CSP3 'sha256-...'), so a
// template needs no 'unsafe-inline' and injected markup could not style or script anything.
std::string styleHashes(std::string_view text) {
  std::string sources;
  size_t pos = 0;
  while ((pos = text.find("<style>", pos)) != std::string_view::npos) {
    const size_t start = pos + 7;
    const size_t end = text.find("</style>", start);
    if (end == std::string_view::npos) {
      break;
    }
    const auto digest = sha256(text.substr(start, end - start));
    sources += " 'sha256-" +
               base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()),  // NOLINT
                                             digest.size())) +
               "'";
    pos = end;
  }
  return sources.empty() ? " 'none'" : sources;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string hostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return {};
  }
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos) {
    return {};  // userinfo in a picture URL: refuse rather than parse
  }
  // Drop the port: "[::1]:8080" -> "[::1]", "host:443" -> "host".
  const size_t port = rest.starts_with('[') ? rest.find("]:") : rest.find(':');
  std::string host(rest.substr(0, port == std::string_view::npos
                                      ? rest.size()
                                      : port + (rest.starts_with('[') ? 1 : 0)));
  for (char& c : host) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return host;
}

bool hostMatches(std::string_view host, std::string_view domain) {
  return host == domain ||
         (host.size() > domain.size() && host.ends_with(domain) &&
          host[host.size() - domain.size() - 1] == '.');
}

}  // namespace

struct Pages::Impl {
  const Config* config = nullptr;
  std::string provider_name;
  std::string login_url;
  std::string logout_url;
  std::string home_url;
  struct Page {
    HtmlTemplate tpl;
    std::string style_sources;
  };
  std::map<std::string, Page, std::less<>> pages;

  // Pictures only from the provider's own https hosts: never a tracking pixel elsewhere.
  bool pictureAllowed(std::string_view url) const {
    if (!url.starts_with("https://") || url.size() > 2048) {
      return false;
    }
    const std::string host = hostOf(url);
    if (host.empty()) {
      return false;
    }
    switch (config->provider) {
      case ProviderKind::kGoogle:
        return hostMatches(host, "googleusercontent.com");
      case ProviderKind::kGithub:
        return hostMatches(host, "githubusercontent.com") ||
               (!config->issuer.empty() && host == hostOf(config->issuer));
      case ProviderKind::kOidc:
        return host == hostOf(config->issuer);
    }
    return false;
  }

  Response render(int status, std::string_view name, Values values,
                  std::string_view img_source) const {
    values.emplace("provider", provider_name);
    values.emplace("login_url", login_url);
    values.emplace("logout_url", logout_url);
    values.emplace("home_url", home_url);
    const Page& page = pages.find(name)->second;
    Response response;
    response.status = status;
    response.body = page.tpl.render(values);
    response.addHeader("Content-Type", "text/html; charset=utf-8");
    std::string csp = "default-src 'none'; style-src" + page.style_sources + "; img-src " +
                      (img_source.empty() ? std::string("'none'") : std::string(img_source)) +
                      "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    addSecurityHeaders(response, csp);
    return response;
  }
};

Pages::Pages(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pages::~Pages() = default;

std::unique_ptr<Pages> Pages::load(const Config& config, std::vector<std::string>& problems) {
  auto impl = std::make_unique<Impl>();
  impl->config = &config;
  impl->provider_name = providerDisplayName(config);
  impl->login_url = config.base_path + "/login";
  impl->logout_url = config.base_path + "/logout";
  impl->home_url = config.base_path + "/";
  bool ok = true;
  for (const char* name : kTemplateNames) {
    std::string text = builtinTemplate(name);
    if (!config.templates_dir.empty()) {
      const std::string path = config.templates_dir + "/" + name;
      if (auto custom = readFile(path)) {
        text = std::move(*custom);
      }
    }
    std::string error;
    auto tpl = HtmlTemplate::parse(text, allowedPlaceholders(name), error);
    if (!tpl) {
      problems.push_back("templates_dir: " + std::string(name) + ": " + error +
                         "; fix the template (README lists the placeholders of each page)");
      ok = false;
      continue;
    }
    impl->pages.emplace(name, Impl::Page{std::move(*tpl), styleHashes(text)});
  }
  if (!ok) {
    return nullptr;
  }
  return std::unique_ptr<Pages>(new Pages(std::move(impl)));  // NOLINT: private constructor
}

Response Pages::signedOut() const { return impl_->render(200, "signed_out.html", {}, {}); }

Response Pages::signedIn(std::string_view email, std::string_view name,
                         std::string_view picture) const {
  Values values{{"email", std::string(email)}, {"name", std::string(name)}};
  std::string img_source;
  if (impl_->pictureAllowed(picture)) {
    values.emplace("picture", std::string(picture));
    img_source = "https://" + hostOf(picture);
  }
  return impl_->render(200, "signed_in.html", std::move(values), img_source);
}

Response Pages::error(const ErrorPage& page) const {
  return impl_->render(page.status, "error.html",
                       {{"status", std::to_string(page.status)},
                        {"title", page.title},
                        {"message", page.message},
                        {"hint", page.hint}},
                       {});
}

Response Pages::notFound() const {
  return error({404, "Page not found", "There is nothing at this address.",
                "Check the link, or go back to the start."});
}

Response Pages::methodNotAllowed(std::string_view allow) const {
  Response response = error({405, "Method not allowed",
                             "This address does not answer that kind of request.", ""});
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
