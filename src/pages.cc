// The pages a visitor sees. Templates (built-in or the site owner's templates_dir files) are
// checked once at start-up, so a broken one stops latchkey with a clear line instead of
// failing visitors at request time. Values are always HTML-escaped (template.h), and every
// page carries a Content-Security-Policy that allows exactly the page's own inline <style>
// blocks (by hash), images only from the provider, and no script at all.
#include "latchkey/pages.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "builtin_templates.h"
#include "latchkey/crypto.h"
#include "latchkey/encoding.h"
#include "latchkey/url.h"
#include "template.h"

namespace latchkey {
namespace {

using Values = std::map<std::string, std::string, std::less<>>;
using NameSet = std::set<std::string, std::less<>>;

constexpr std::string_view kTemplateNames[] = {"signed_out.html", "signed_in.html",
                                               "error.html"};
// A page template is a page, not a data file: a larger one is almost surely a wrong path.
constexpr size_t kMaxTemplateBytes = 256 * 1024;

// The placeholders each page offers (docs/pages.md lists them for site owners).
const NameSet& allowedPlaceholders(std::string_view name) {
  static const NameSet common = {"provider", "login_url", "logout_url", "home_url"};
  static const NameSet signed_in = [] {
    auto s = common;
    s.insert({"email", "name", "picture"});
    return s;
  }();
  static const NameSet error = [] {
    auto s = common;
    s.insert({"status", "title", "message", "hint", "owner_hint", "retry_url"});
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

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Browsers decode a page as UTF-8 (the Content-Type says so); a byte sequence that is not
// UTF-8 turns into U+FFFD and the <style> hash would no longer match what the browser hashes.
bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;  // overlong, beyond Unicode, or a surrogate
    }
    i += extra + 1;
  }
  return true;
}

// The HTML parser turns CRLF and lone CR into LF before a <style> block is hashed for the CSP,
// so the template is normalised the same way first (a file saved on Windows must still match).
std::string normaliseNewlines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);  // a UTF-8 byte order mark from an editor
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else {
      out += text[i];
    }
  }
  return out;
}

struct StyleBlock {
  size_t start;  // first byte of the content
  size_t end;    // the '<' of </style>
};

// The <style ...> elements of a template, or an error for one that is never closed.
std::optional<std::vector<StyleBlock>> styleBlocks(std::string_view text, std::string& error) {
  const std::string lower = lowerAscii(text);
  std::vector<StyleBlock> blocks;
  size_t pos = 0;
  while ((pos = lower.find("<style", pos)) != std::string::npos) {
    const char after = pos + 6 < lower.size() ? lower[pos + 6] : '\0';
    if (after != '>' && after != ' ' && after != '\t' && after != '\n' && after != '/') {
      pos += 6;  // <styles> or similar: not a style element
      continue;
    }
    const size_t open_end = lower.find('>', pos);
    const size_t close = open_end == std::string::npos ? open_end : lower.find("</style", open_end);
    if (close == std::string::npos) {
      error = "a <style> element is never closed with </style>";
      return std::nullopt;
    }
    blocks.push_back({open_end + 1, close});
    pos = close;
  }
  return blocks;
}

// What a browser would refuse under the page's CSP, refused here at start-up instead, with
// the reason: the site owner sees it once in the start-up error instead of never.
std::optional<std::string> cspProblem(std::string_view text,
                                      const std::vector<StyleBlock>& blocks) {
  const std::string lower = lowerAscii(text);
  if (lower.find("<script") != std::string::npos) {
    return "contains <script>; latchkey's pages run no script (the Content-Security-Policy "
           "blocks it), so remove it";
  }
  for (const char* attr : {" style=", "\nstyle=", "\tstyle="}) {
    if (lower.find(attr) != std::string::npos) {
      return "uses a style=\"...\" attribute, which the Content-Security-Policy blocks; put "
             "the rules in the page's <style> block instead";
    }
  }
  for (size_t at = lower.find("<link"); at != std::string::npos; at = lower.find("<link", at + 5)) {
    const std::string_view tag = std::string_view(lower).substr(at, lower.find('>', at) - at);
    if (tag.find("stylesheet") != std::string_view::npos) {
      return "links a stylesheet; the Content-Security-Policy allows no external stylesheet, "
             "so put the styles in a <style> block";
    }
  }
  for (const StyleBlock& b : blocks) {
    if (text.substr(b.start, b.end - b.start).find("{{") != std::string_view::npos) {
      return "has a {{placeholder}} inside <style>; the Content-Security-Policy allows the "
             "block by the hash of its exact text, so it must not change per request";
    }
  }
  return std::nullopt;
}

// CSP3 'sha256-...' sources for the page's inline <style> blocks: the template needs no
// 'unsafe-inline', and markup that somehow got in could not add styles of its own.
std::string styleSources(std::string_view text, const std::vector<StyleBlock>& blocks) {
  std::string sources;
  for (const StyleBlock& b : blocks) {
    const auto digest = sha256(text.substr(b.start, b.end - b.start));
    sources += " 'sha256-" +
               base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()),  // NOLINT
                                             digest.size())) +
               "'";
  }
  return sources.empty() ? " 'none'" : sources;
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
  // Returns the origin to allow in img-src, or nullopt to show no picture.
  std::optional<std::string> pictureOrigin(std::string_view url) const {
    if (url.size() > 2048 || !lowerAscii(url.substr(0, 8)).starts_with("https://")) {
      return std::nullopt;
    }
    const auto origin = originOf(url);
    if (!origin) {
      return std::nullopt;
    }
    const auto issuer = originOf(config->issuer);
    const bool issuer_host = issuer && origin->host == issuer->host;
    bool allowed = false;
    switch (config->provider) {
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

  Response render(int status, std::string_view name, Values values,
                  std::string_view img_origin) const {
    values.emplace("provider", provider_name);
    values.emplace("login_url", login_url);
    values.emplace("logout_url", logout_url);
    values.emplace("home_url", home_url);
    const Page& page = pages.find(name)->second;
    Response response;
    response.status = status;
    response.body = page.tpl.render(values);
    response.addHeader("Content-Type", "text/html; charset=utf-8");
    // data: images let a site owner inline a logo; they cannot carry anything out.
    std::string csp = "default-src 'none'; style-src" + page.style_sources + "; img-src data:";
    if (!img_origin.empty()) {
      csp += " " + std::string(img_origin);
    }
    csp += "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
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
        problem(file, "is not a page latchkey knows; the names are signed_out.html, "
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
    if (!validUtf8(text)) {
      problem(name, "is not valid UTF-8; save it as UTF-8");
      continue;
    }
    text = normaliseNewlines(text);
    std::string error;
    const auto blocks = styleBlocks(text, error);
    if (!blocks) {
      problem(name, error);
      continue;
    }
    if (const auto csp = cspProblem(text, *blocks)) {
      problem(name, *csp);
      continue;
    }
    auto tpl = HtmlTemplate::parse(text, allowedPlaceholders(name), error);
    if (!tpl) {
      problem(name, error + "; fix the template (docs/pages.md lists the placeholders of each page)");
      continue;
    }
    impl->pages.emplace(std::string(name), Impl::Page{std::move(*tpl), styleSources(text, *blocks)});
  }
  if (problems.size() != problems_before) {
    return nullptr;
  }
  return std::unique_ptr<Pages>(new Pages(std::move(impl)));  // NOLINT: private constructor
}

Response Pages::signedOut() const { return impl_->render(200, "signed_out.html", {}, {}); }

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
                {"title", page.title},
                {"message", page.message},
                {"hint", std::move(hint)},
                {"owner_hint", std::move(owner_hint)}};
  // Signing in again is the way out of every sign-in failure; for a wrong address or
  // method it would be a non sequitur.
  if (page.status != 404 && page.status != 405 && page.status != 413) {
    values.emplace("retry_url", impl_->login_url);
  }
  return impl_->render(page.status, "error.html", std::move(values), {});
}

Response Pages::notFound() const {
  return error({404, "Page not found", "There is nothing at this address.",
                "Check the link, or go back to the start page."});
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
