// `latchkey init`: writes a first configuration for one recipe and says what comes next.
//
// Ownership follows make install and the Debian package: /etc/latchkey is root:latchkey 0750
// and the configuration root:latchkey 0640. Who must read it decides the group: the systemd
// service reads it as root (LoadCredential=), the spawn-fcgi recipe as the latchkey user, and
// under mod_fcgid or CGI the web server's own user, which then joins the latchkey group.
#include "cli/init_command.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/url.h"
#include "util/unique_fd.h"

namespace latchkey {

const std::string_view kInitUsage =
    "       latchkey init --server nginx|apache-proxy-fcgi|apache-fcgid|apache-cgi\n"
    "                     --site https://HOST[/BASE] [--provider google|github|oidc]\n"
    "                     [--issuer URL] [--client-id ID] [--config PATH] [--force]\n";

namespace {

constexpr size_t kCookieSecretBytes = 32;
constexpr std::string_view kSocket = "/run/latchkey/latchkey.sock";
constexpr std::string_view kGroup = "latchkey";

Error usage(std::string message) {
  return makeError(Errc::kBadRequest, std::move(message));
}

std::optional<InitServer> serverNamed(std::string_view name) {
  if (name == "nginx") {
    return InitServer::kNginx;
  }
  if (name == "apache-proxy-fcgi") {
    return InitServer::kApacheProxyFcgi;
  }
  if (name == "apache-fcgid") {
    return InitServer::kApacheFcgid;
  }
  if (name == "apache-cgi") {
    return InitServer::kApacheCgi;
  }
  return std::nullopt;
}

// The web server's user runs latchkey itself (and so reads the file) under mod_fcgid and CGI.
bool webServerReads(InitServer server) {
  return server == InitServer::kApacheFcgid || server == InitServer::kApacheCgi;
}

// https://host[:port][/base] (http only on loopback, as for redirect_uri): the origin and the
// base path, without a trailing slash.
Result<std::pair<std::string, std::string>> splitSite(std::string_view site) {
  auto url = parseAbsoluteUrl(site);
  if (!url || (url->scheme != "https" && url->scheme != "http") || url->has_query ||
      url->has_fragment || url->has_userinfo) {
    return usage(
        "init: --site must be https://HOST[/BASE] (no query, fragment or user), e.g. "
        "https://example.com or https://example.com/oauth2");
  }
  if (url->scheme == "http" && !isLoopbackHost(url->host)) {
    return usage(
        "init: --site must be https (http only for localhost and 127.0.0.1, for trials): "
        "providers refuse plain-http redirect URIs and cookies would travel in clear");
  }
  std::string base = url->path;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  std::string origin = url->scheme + "://" + url->host;
  if (url->port != 0) {
    origin += ":" + std::to_string(url->port);
  }
  return std::make_pair(std::move(origin), std::move(base));
}

std::string hostOf(const std::string& origin) {
  return origin.substr(origin.find("://") + 3);
}

std::string nginxSnippet(const std::string& base, const std::string& origin) {
  return "# in the server block of " + hostOf(origin) +
         " (with its certificate), e.g. /etc/nginx/sites-available/\n"
         "location ~ ^" +
         base +
         "/(login|login/authorized|logout|signed-out|userinfo|healthz)$ {\n"
         "    fastcgi_pass unix:" +
         std::string(kSocket) +
         ";\n"
         "    include fastcgi_params;\n"
         "    client_max_body_size 16k;\n"
         "}\n"
         "location = " +
         base +
         "/auth {\n"
         "    internal;\n"
         "    fastcgi_pass unix:" +
         std::string(kSocket) +
         ";\n"
         "    fastcgi_param CONTENT_LENGTH \"\";\n"
         "    fastcgi_param CONTENT_TYPE \"\";\n"
         "    include fastcgi_params;\n"
         "    fastcgi_pass_request_body off;\n"
         "}\n"
         "# Signed out: straight to the provider from here (latchkey's /login, handed the\n"
         "# whole URI to come back to); just signed out: the signed-out page instead.\n"
         "location @latchkey_sign_in {\n"
         "    if ($cookie_latchkey_signed_out) {\n"
         "        return 302 " +
         base +
         "/signed-out?rd=$request_uri;\n"
         "    }\n"
         "    fastcgi_pass unix:" +
         std::string(kSocket) +
         ";\n"
         "    fastcgi_param DOCUMENT_URI " +
         base +
         "/login;\n"
         "    fastcgi_param REQUEST_METHOD GET;\n"
         "    fastcgi_param QUERY_STRING \"\";\n"
         "    fastcgi_param CONTENT_LENGTH \"\";\n"
         "    fastcgi_param CONTENT_TYPE \"\";\n"
         "    fastcgi_param LATCHKEY_RETURN_URI $request_uri;\n"
         "    include fastcgi_params;\n"
         "    fastcgi_pass_request_body off;\n"
         "}\n"
         "# CHANGE: what to protect (repeat for more)\n"
         "location /private/ {\n"
         "    auth_request " +
         base +
         "/auth;\n"
         "    auth_request_set $latchkey_email $upstream_http_x_auth_request_email;\n"
         "    auth_request_set $latchkey_cookie $upstream_http_set_cookie;\n"
         "    add_header Set-Cookie $latchkey_cookie;\n"
         "    add_header Cache-Control \"private, no-store\" always;\n"
         "    error_page 401 = @latchkey_sign_in;\n"
         "}\n";
}

std::string routesPattern(const std::string& base) {
  return "^" + base + "/(login|login/authorized|logout|signed-out|userinfo|healthz)$";
}

// mod_authnz_fcgi, the gate that protects content, reaches latchkey over TCP only: its file
// replaces these lines and says how the service moves to 127.0.0.1:9000.
std::string proxyFcgiSnippet(const std::string& base, const std::string& data_dir) {
  return "# in the <VirtualHost> of the site (a2enmod proxy proxy_fcgi)\n"
         "<LocationMatch \"" +
         routesPattern(base) +
         "\">\n"
         "    SetHandler \"proxy:unix:" +
         std::string(kSocket) +
         "|fcgi://latchkey/\"\n"
         "</LocationMatch>\n"
         "# and a folder behind the sign-in: " +
         data_dir +
         "/apache/latchkey-authnz-fcgi.conf\n"
         "# in place of these lines (mod_authnz_fcgi; the commands at its head)\n";
}

std::string fcgidWrapper(const std::string& binary, const std::string& config_path) {
  return "#!/bin/sh\nexec " + binary + " --config " + config_path + "\n";
}

std::string fcgidSnippet(const std::string& base, const std::string& data_dir) {
  return "# in the <VirtualHost> of the site (a2enmod fcgid): latchkey's pages, run by the\n"
         "# wrapper /usr/lib/cgi-bin/latchkey.fcgi (next steps)\n"
         "AliasMatch \"" +
         routesPattern(base) +
         "\" /usr/lib/cgi-bin/latchkey.fcgi\n"
         "<LocationMatch \"" +
         routesPattern(base) +
         "\">\n"
         "    SetEnvIfExpr \"%{REQUEST_URI} =~ m#^(/.*)$#\" DOCUMENT_URI=$1\n"
         "</LocationMatch>\n"
         "<Files \"latchkey.fcgi\">\n"
         "    SetHandler fcgid-script\n"
         "    Options +ExecCGI\n"
         "    Require all granted\n"
         "</Files>\n"
         "<Directory /usr/lib/cgi-bin>\n"
         "    Require all granted\n"
         "</Directory>\n"
         "FcgidMaxProcessesPerClass 1\n"
         "# and a folder behind the sign-in: " +
         data_dir + "/apache/latchkey-fcgid-gate.conf\n";
}

// The CHANGE lines of the shipped CGI scripts, with what init knows filled in; the folder's
// place on disk is the admin's to say.
std::string cgiSnippet(const std::string& config_path, const std::string& base,
                       const std::string& data_dir, const std::string& binary) {
  const std::string paths = "LATCHKEY=" + binary + "\nCONFIG=" + config_path + "\n";
  const std::string apache = data_dir + "/apache/";
  return "# public_html/ is the site's document root.\n"
         "# public_html/latchkey/latchkey.cgi (0755): " +
         apache + "latchkey.cgi, its CHANGE lines:\n" + paths +
         "# public_html/.htaccess: " + apache +
         "htaccess-cgi\n"
         "# public_html/latchkey/.htaccess: Options +ExecCGI / AddHandler cgi-script .cgi\n"
         "# A folder behind the sign-in, public_html/private/:\n"
         "# public_html/private/.htaccess: " +
         apache +
         "htaccess-protect-folder\n"
         "# public_html/latchkey/latchkey-gate.cgi (0755): " +
         apache + "latchkey-gate.cgi, its CHANGE lines:\n" + paths +
         (base.empty() ? "" : "BASE_PATH=" + base + "\n") + "PROTECTED_URL=" + base +
         "/private\n"
         "PROTECTED_DIR=/path/to/public_html/private    # CHANGE: that folder on disk\n";
}

std::string configText(const InitOptions& options, std::string_view cookie_secret,
                       const std::string& redirect_uri, const std::string& base) {
  std::string text =
      "# Written by latchkey init. Keys and defaults: man 8 latchkey.\n"
      "provider = " +
      options.provider + "\n";
  if (!options.issuer.empty()) {
    text += "issuer = " + options.issuer + "\n";
  }
  text += options.client_id.empty() ? "# client_id = the OAuth client id from the provider\n"
                                    : "client_id = " + options.client_id + "\n";
  text += "redirect_uri = " + redirect_uri + "\n";
  if (!base.empty()) {
    text += "base_path = " + base + "\n";
  }
  text +=
      "# A fresh secret from the system's CSPRNG; to rotate it, move it to\n"
      "# cookie_secret_previous and set a new one (openssl rand -base64 32).\n"
      "cookie_secret = " +
      std::string(cookie_secret) +
      "\n"
      "# Who may sign in (any account at the provider when none is set):\n"
      "# allowed_emails = alice@example.com\n"
      "# allowed_domains = example.com\n"
      "# client_secret: appended by the command latchkey init prints\n";
  return text;
}

}  // namespace

Result<InitOptions> parseInitArguments(const std::vector<std::string_view>& args) {
  InitOptions options;
  bool have_server = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--force") {
      options.force = true;
      continue;
    }
    const bool takes_value = arg == "--server" || arg == "--site" || arg == "--provider" ||
                             arg == "--issuer" || arg == "--client-id" || arg == "--config";
    if (!takes_value) {
      return usage("init: unknown argument '" + std::string(arg) + "'");
    }
    if (i + 1 >= args.size() || args[i + 1].empty()) {
      return usage("init: " + std::string(arg) + " needs a value");
    }
    const std::string value(args[++i]);
    if (arg == "--server") {
      const auto server = serverNamed(value);
      if (!server) {
        return usage(
            "init: --server must be nginx, apache-proxy-fcgi, apache-fcgid or "
            "apache-cgi, not '" +
            value + "'");
      }
      options.server = *server;
      have_server = true;
    } else if (arg == "--site") {
      options.site = value;
    } else if (arg == "--provider") {
      if (value != "google" && value != "github" && value != "oidc") {
        return usage("init: --provider must be google, github or oidc, not '" + value + "'");
      }
      options.provider = value;
    } else if (arg == "--issuer") {
      options.issuer = value;
    } else if (arg == "--client-id") {
      options.client_id = value;
    } else {
      options.config_path = value;
    }
  }
  if (!have_server || options.site.empty()) {
    return usage("init: --server and --site are required");
  }
  if (options.provider == "oidc" && options.issuer.empty()) {
    return usage(
        "init: --provider oidc needs --issuer (the URL before "
        "/.well-known/openid-configuration)");
  }
  if (!options.issuer.empty() && options.provider == "google") {
    options.provider = "oidc";  // an issuer names an OpenID provider, as in the config file
  }
  return options;
}

Result<InitPlan> planInit(const InitOptions& options, std::string_view cookie_secret,
                          const InstalledPaths& installed) {
  auto site = splitSite(options.site);
  if (!site) {
    return site.error();
  }
  const auto& [origin, base] = *site;
  if (!options.issuer.empty()) {
    auto issuer = parseAbsoluteUrl(options.issuer);
    if (!issuer || (issuer->scheme != "https" && !isLoopbackHost(issuer->host))) {
      return usage("init: --issuer must be an https URL (http only on loopback)");
    }
  }
  for (const std::string* value : {&options.client_id, &options.issuer, &options.config_path}) {
    if (value->find_first_of("\r\n") != std::string::npos) {
      return usage("init: values may not contain line breaks");
    }
  }
  InitPlan plan;
  plan.base_path = base;
  plan.redirect_uri = origin + base + "/login/authorized";
  plan.config_text = configText(options, cookie_secret, plan.redirect_uri, base);
  const std::string& data = installed.data_dir;
  const std::string& conf = options.config_path;
  switch (options.server) {
    case InitServer::kNginx:
      plan.snippet = nginxSnippet(base, origin);
      break;
    case InitServer::kApacheProxyFcgi:
      plan.snippet = proxyFcgiSnippet(base, data);
      break;
    case InitServer::kApacheFcgid:
      plan.snippet = fcgidSnippet(base, data);
      break;
    case InitServer::kApacheCgi:
      plan.snippet = cgiSnippet(conf, base, data, installed.binary);
      break;
  }
  // read -r: the secret comes from the terminal (or a pipe), never from argv or history.
  plan.next_steps.push_back("sh -c 'read -r s && printf \"client_secret = %s\\n\" \"$s\" >> " +
                            conf + "'    # paste the client secret, Enter");
  if (options.client_id.empty()) {
    plan.next_steps.push_back("echo 'client_id = YOUR-CLIENT-ID' >> " + conf);
  }
  if (webServerReads(options.server)) {
    plan.next_steps.push_back("adduser www-data latchkey    # the web server reads " + conf);
  }
  if (options.server == InitServer::kApacheFcgid) {
    std::string wrapper = fcgidWrapper(installed.binary, conf);
    std::string escaped;
    for (const char c : wrapper) {
      escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    plan.next_steps.push_back("printf '" + escaped +
                              "' > /usr/lib/cgi-bin/latchkey.fcgi && chmod 0755 "
                              "/usr/lib/cgi-bin/latchkey.fcgi");
  }
  plan.next_steps.push_back("latchkey --config " + conf + " --check");
  switch (options.server) {
    case InitServer::kNginx:
      plan.next_steps.push_back(
          "systemctl enable --now latchkey.socket && nginx -t && "
          "systemctl reload nginx");
      break;
    case InitServer::kApacheProxyFcgi:
      plan.next_steps.push_back(
          "systemctl enable --now latchkey.socket && a2enmod proxy "
          "proxy_fcgi && apache2ctl configtest && systemctl reload apache2");
      break;
    case InitServer::kApacheFcgid:
      plan.next_steps.push_back(
          "a2enmod fcgid && apache2ctl configtest && systemctl restart apache2");
      break;
    case InitServer::kApacheCgi:
      plan.next_steps.push_back("a2enmod cgid rewrite && systemctl reload apache2");
      break;
  }
  return plan;
}

namespace {

struct Ownership {
  gid_t gid;
  std::string group;
  mode_t mode;
  std::string described;  // "0640, group latchkey"
};

// Root writes root:latchkey 0640 (root:root without that group, unless the web server must
// read it); anyone else (shared hosting) keeps the file to themselves, 0600.
Result<Ownership> ownershipFor(InitServer server) {
  if (::geteuid() != 0) {
    return Ownership{::getegid(), "", 0600, "0600, yours alone"};
  }
  // getgrnam is not reentrant; init runs single-threaded.
  if (const struct group* entry = ::getgrnam(std::string(kGroup).c_str())) {  // NOLINT
    return Ownership{entry->gr_gid, std::string(kGroup), 0640, "0640, group latchkey"};
  }
  if (webServerReads(server)) {
    return makeError(Errc::kInternal,
                     "init: there is no group 'latchkey', which the web server must join to read "
                     "the configuration: addgroup --system latchkey (the Debian package "
                     "creates it), then run init again");
  }
  return Ownership{0, "root", 0640, "0640, group root"};
}

// The directory must let the group through (make install creates it root:root 0750).
Status prepareDirectory(const std::filesystem::path& dir, const Ownership& owner) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    if (::mkdir(dir.c_str(), 0750) != 0) {
      return makeError(Errc::kInternal,
                       "init: cannot create " + dir.string() + ": " + std::strerror(errno));
    }
    if (::geteuid() == 0 && ::chown(dir.c_str(), 0, owner.gid) != 0) {
      return makeError(Errc::kInternal,
                       "init: cannot chown " + dir.string() + ": " + std::strerror(errno));
    }
    return {};
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return makeError(Errc::kInternal, "init: cannot stat " + dir.string());
  }
  if (::geteuid() == 0 && st.st_uid == 0 && st.st_gid == 0 && owner.gid != 0 &&
      (st.st_mode & S_IXOTH) == 0) {
    if (::chown(dir.c_str(), 0, owner.gid) != 0) {
      return makeError(Errc::kInternal, "init: cannot give " + dir.string() + " the group " +
                                            owner.group + ": " + std::strerror(errno));
    }
  }
  return {};
}

// O_EXCL unless --force: never overwrite a configuration (and its secret) by accident.
Status writeConfig(const InitOptions& options, const InitPlan& plan, const Ownership& owner) {
  const std::filesystem::path path(options.config_path);
  if (Status dir = prepareDirectory(path.parent_path().empty() ? "." : path.parent_path(), owner);
      !dir) {
    return dir;
  }
  const int flags =
      O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (options.force ? O_TRUNC : O_EXCL);
  UniqueFd fd(::open(path.c_str(), flags, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      return makeError(Errc::kInternal, "init: " + path.string() +
                                            " exists; kept as it is (--force replaces it, and "
                                            "with it the cookie secret: every session ends)");
    }
    const bool denied = errno == EACCES;
    return makeError(Errc::kInternal,
                     "init: cannot write " + path.string() + ": " + std::strerror(errno) +
                         (denied ? " (run it as root, or name a file of yours: --config "
                                   "~/latchkey/latchkey.conf)"
                                 : ""));
  }
  // Mode and owner before the secret goes in.
  if (::fchmod(fd.get(), owner.mode) != 0 ||
      (::geteuid() == 0 && ::fchown(fd.get(), 0, owner.gid) != 0)) {
    return makeError(Errc::kInternal, "init: cannot set the owner and mode of " + path.string());
  }
  const std::string& text = plan.config_text;
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return makeError(Errc::kInternal,
                       "init: cannot write " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    return makeError(Errc::kInternal, "init: cannot write " + path.string());
  }
  return {};
}

// Where make install put the recipes: <prefix>/share/latchkey next to <prefix>/bin/latchkey.
InstalledPaths installedPaths() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = exe.parent_path().parent_path() / "share/latchkey";
    if (std::filesystem::is_directory(dir, ec)) {
      return InstalledPaths{exe.string(), dir.string()};
    }
  }
  return InstalledPaths{};
}

}  // namespace

int runInit(const std::vector<std::string_view>& args) {
  auto options = parseInitArguments(args);
  if (!options) {
    std::cerr << "latchkey: " << options.error().detail << "\nusage:\n" << kInitUsage;
    return 1;
  }
  const std::string secret = base64Encode(randomBytes(kCookieSecretBytes));
  auto plan = planInit(*options, secret, installedPaths());
  if (!plan) {
    std::cerr << "latchkey: " << plan.error().detail << '\n';
    return 1;
  }
  auto owner = ownershipFor(options->server);
  if (!owner) {
    std::cerr << "latchkey: " << owner.error().detail << '\n';
    return 1;
  }
  if (Status written = writeConfig(*options, *plan, *owner); !written) {
    std::cerr << "latchkey: " << written.error().detail << '\n';
    return 1;
  }
  std::cout << "Wrote " << options->config_path << " (" << owner->described
            << ") with a new cookie secret.\n\n"
            << "Register this redirect URI at the provider:\n  " << plan->redirect_uri << "\n\n"
            << "Web server configuration:\n"
            << plan->snippet << "\nNext:\n";
  int n = 1;
  for (const std::string& step : plan->next_steps) {
    std::cout << "  " << n++ << ". " << step << '\n';
  }
  return 0;
}

}  // namespace latchkey
