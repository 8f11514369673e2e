// latchkey: command line, start-up checks, then FastCGI (or one CGI request).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/app.h"
#include "latchkey/http_client.h"
#include "latchkey/identity_provider.h"
#include "latchkey/log.h"
#include "latchkey/pages.h"
#include "latchkey/refresh_coordinator.h"
#include "latchkey/replay_guard.h"
#include "latchkey/revocation_cache.h"
#include "latchkey/server.h"
#include "latchkey/session.h"
#include "latchkey/session_store.h"

namespace latchkey {
namespace {

constexpr std::string_view kUsage =
    "usage: latchkey --config FILE [--listen ADDR] [--threads N] [--socket-mode MODE]\n"
    "                [--socket-group NAME]\n"
    "       latchkey --config FILE --check\n"
    "       latchkey --config FILE --revoke-user SUBJECT_OR_EMAIL\n"
    "       latchkey --version | --help\n"
    "\n"
    "  --config FILE        configuration file (key = value); LATCHKEY_<KEY> variables\n"
    "                       override it; without --config the environment alone is used\n"
    "  --listen ADDR        unix:/run/latchkey/latchkey.sock or 127.0.0.1:9000; without it,\n"
    "                       the FastCGI socket inherited on fd 0 or from systemd\n"
    "  --threads N          worker threads (default: 2 x CPU cores)\n"
    "  --socket-mode MODE   mode of a unix socket, octal (default 0660)\n"
    "  --socket-group NAME  group of a unix socket (the web server's group)\n"
    "  --check              validate the configuration, reach the provider, test the client\n"
    "                       credentials; exit 0 when all is well, 1 otherwise\n"
    "  --revoke-user WHO    end every session of WHO (the provider's subject, or an e-mail\n"
    "                       address) now, on every latchkey sharing the session_store\n"
    "\n"
    "Started as CGI (GATEWAY_INTERFACE set, fd 0 not a listening socket) it answers one\n"
    "request.\n"
    "Configuration keys:";

// Each key's default, worded as in the README's configuration table (tests/e2e/docs.test.mjs
// holds them to it).
constexpr std::pair<std::string_view, std::string_view> kKeyDefaults[] = {
    {"provider", "oidc when issuer is set, else google"},
    {"issuer", "google: https://accounts.google.com"},
    {"client_id", "required"},
    {"client_secret", "one required"},
    {"client_secret_file", "one required"},
    {"redirect_uri", "required"},
    {"scopes", "openid email profile (github: read:user user:email)"},
    {"cookie_secret", "one required"},
    {"cookie_secret_file", "one required"},
    {"cookie_secret_previous", "none"},
    {"cookie_name", "latchkey (__Host-latchkey over https)"},
    {"session_lifetime", "28800"},
    {"allowed_domains", "empty"},
    {"allowed_emails", "empty"},
    {"allowed_emails_file", "empty"},
    {"base_path", "empty"},
    {"ca_file", "system store"},
    {"http_timeout", "10"},
    {"log_level", "info"},
    {"templates_dir", "built-in"},
    {"provider_name", "Google, GitHub, or the issuer's host"},
    {"token_endpoint_auth_method",
     "basic, or post when discovery's token_endpoint_auth_methods_supported lists post but not "
     "basic"},
    {"client_private_key_file", "required with private_key_jwt"},
    {"client_key_id", "none (no kid)"},
    {"allowed_tenants", "empty: the issuer must match exactly"},
    {"session_store", "none: stateless cookies"},
    {"session_store_grace", "30"},
    {"rp_initiated_logout", "false"},
    {"post_logout_redirect_uri", "<site><base_path>/ (from redirect_uri)"},
};

std::string_view keyDefault(std::string_view key) {
  for (const auto& [name, value] : kKeyDefaults) {
    if (name == key) {
      return value;
    }
  }
  return "see latchkey(8)";
}

void printHelp() {
  std::cout << kUsage;
  for (const std::string& key : configKeys()) {
    std::cout << ' ' << key;
  }
  std::cout << "\nDefaults:\n";
  for (const std::string& key : configKeys()) {
    std::cout << "  " << key << std::string(key.size() < 24 ? 24 - key.size() : 1, ' ')
              << keyDefault(key) << '\n';
  }
  std::cout << "Routes (under base_path):";
  for (const std::string_view path : routePaths()) {
    std::cout << ' ' << path;
  }
  std::cout << "\nSee latchkey(8) and README.md.\n";
}

struct Options {
  std::optional<std::string> config_path;
  ServerOptions server;
  bool check = false;
  std::optional<std::string> revoke_user;
};

// How long any one call to the session store may take (connect, command, SQLite lock wait).
constexpr int kStoreTimeoutMs = 2000;
// How often a process asks the store whether anything was revoked: twice a second keeps a
// logout visible everywhere within a second.
constexpr RevocationCache::Millis kRevocationSyncInterval{500};

// Parses argv. In CGI mode the web server may pass words of the query string as extra
// arguments (RFC 3875 §4.4): those are ignored rather than refused.
std::optional<Options> parseArguments(int argc, char** argv, bool cgi, int& exit_code) {
  Options options;
  exit_code = 1;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool takes_value = arg == "--config" || arg == "--listen" || arg == "--threads" ||
                             arg == "--socket-mode" || arg == "--socket-group" ||
                             arg == "--revoke-user";
    if (takes_value && i + 1 >= args.size()) {
      std::cerr << "latchkey: " << arg << " needs a value\n";
      return std::nullopt;
    }
    const std::string value = takes_value ? std::string(args[++i]) : std::string();
    char* end = nullptr;
    if (arg == "--help" || arg == "-h") {
      printHelp();
      exit_code = 0;
      return std::nullopt;
    } else if (arg == "--version") {
      std::cout << "latchkey " LATCHKEY_VERSION "\n";
      exit_code = 0;
      return std::nullopt;
    } else if (arg == "--check") {
      options.check = true;
    } else if (arg == "--revoke-user") {
      options.revoke_user = value;
    } else if (arg == "--config") {
      options.config_path = value;
    } else if (arg == "--listen") {
      options.server.listen = value;
    } else if (arg == "--threads") {
      const long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 1 || n > 1024) {
        std::cerr << "latchkey: --threads must be a number from 1 to 1024\n";
        return std::nullopt;
      }
      options.server.threads = static_cast<int>(n);
    } else if (arg == "--socket-mode") {
      const long mode = std::strtol(value.c_str(), &end, 8);
      if (value.empty() || *end != '\0' || mode < 0 || mode > 0777) {
        std::cerr << "latchkey: --socket-mode must be an octal mode such as 0660\n";
        return std::nullopt;
      }
      options.server.socket_mode = static_cast<mode_t>(mode);
    } else if (arg == "--socket-group") {
      options.server.socket_group = value;
    } else if (!cgi) {
      std::cerr << "latchkey: unknown argument '" << arg << "'; see latchkey --help\n";
      return std::nullopt;
    }
  }
  return options;
}

Result<std::unique_ptr<SessionStore>> openConfiguredStore(const Config& config) {
  auto where = parseStoreLocation(config.session_store);
  if (!where) {
    return where.error();
  }
  return openSessionStore(*where, kStoreTimeoutMs);
}

// --revoke-user: a "void before now" mark under the name given, and under its lower-case
// form for an e-mail address (sessions are matched by sub and by lower-case e-mail). The
// mark lives as long as a session can, then it is purged.
int revokeUser(const Config& config, const std::string& who) {
  if (config.session_store.empty() || who.empty()) {
    std::cerr << "latchkey: --revoke-user needs session_store in the configuration (sessions "
                 "without a store end only when their cookie expires)\n";
    return 1;
  }
  auto store = openConfiguredStore(config);
  if (!store) {
    std::cerr << "latchkey: " << store.error().detail << '\n';
    return 1;
  }
  SystemClock clock;
  const int64_t now = clock.now();
  std::vector<std::string> names = {who};
  if (who.find('@') != std::string::npos) {
    std::string lower = who;
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower != who) {
      names.push_back(lower);
    }
  }
  for (const std::string& name : names) {
    // +1: a session issued earlier in this same second is void too.
    Status done = (*store)->revokeSubject(name, now + 1, now + config.session_lifetime, now);
    if (!done) {
      std::cerr << "latchkey: " << done.error().detail << '\n';
      return 1;
    }
  }
  std::cout << "revoked every session of " << who << " issued until now\n";
  return 0;
}

}  // namespace

int runMain(int argc, char** argv) {
  const bool cgi = isCgiInvocation();
  int exit_code = 1;
  auto options = parseArguments(argc, argv, cgi, exit_code);
  if (!options) {
    return exit_code;
  }

  ConfigLoad loaded = loadConfig(options->config_path, processEnvironment());
  std::vector<std::string> problems = loaded.problems;
  std::unique_ptr<Pages> pages;
  if (loaded.config) {
    pages = Pages::load(*loaded.config, problems);
  }
  if (!problems.empty() || !loaded.config || !pages) {
    for (const std::string& problem : problems) {
      std::cerr << "latchkey: " << problem << '\n';
    }
    std::cerr << "latchkey: configuration refused (" << problems.size()
              << (problems.size() == 1 ? " problem" : " problems") << ")"
              << (options->check ? "\n" : "; not starting\n");
    return 1;
  }
  const Config& config = *loaded.config;
  const Logger log(config.log_level);
  if (options->revoke_user) {
    return revokeUser(config, *options->revoke_user);
  }
  std::unique_ptr<SessionStore> store;
  std::unique_ptr<RevocationCache> revocations;
  if (!config.session_store.empty()) {
    auto opened = openConfiguredStore(config);
    if (!opened) {
      std::cerr << "latchkey: session_store: " << opened.error().detail << '\n';
      return 1;
    }
    store = std::move(opened.value());
    revocations = std::make_unique<RevocationCache>(*store, config.session_store_grace,
                                                    kRevocationSyncInterval);
  }

  // CGI: one process per request, so libcurl is loaded only if this request calls the provider.
  if (!cgi) {
    if (Status curl = initHttpClientLibrary(); !curl) {
      std::cerr << "latchkey: " << curl.error().detail << '\n';
      return 1;
    }
  }
  CurlHttpClient http({config.ca_file, config.http_timeout, true});
  SystemClock clock;
  auto provider = makeIdentityProvider(config, http, clock);

  if (options->check) {
    auto report = provider->check();
    if (!report) {
      // The detail holds the steps that passed, the one that failed and the redirect URI to
      // register, one per line; the verdict goes on a line of its own after them.
      std::string detail = report.error().detail;
      if (!detail.empty() && detail.back() != '\n') {
        detail += '\n';
      }
      std::cerr << detail << "latchkey: check failed (" << errcName(report.error().code) << ")\n";
      return 1;
    }
    if (store) {
      if (auto generation = store->generation(); !generation) {
        std::cerr << *report << "session_store: " << generation.error().detail
                  << "\nlatchkey: check failed (" << errcName(generation.error().code) << ")\n";
        return 1;
      }
      *report += "session store reachable\n";
    }
    std::cout << *report << "configuration OK\n";
    return 0;
  }

  const CookieNames cookie_names = cookieNames(config);
  const CookieCodec codec(config.cookie_secret, config.cookie_secret_previous);
  RefreshCoordinator refresher;
  ReplayGuard used_states;
  Deps deps{config,  cookie_names, codec,       *provider,   clock,
            log,     *pages,       refresher,   used_states, store.get(),
            revocations.get()};

  const RequestHandler handler = [&deps](const ParamMap& params, std::string_view body) {
    auto request = requestFromParams(params, body, deps.config.base_path);
    if (!request) {
      deps.log.log(LogLevel::kInfo, "bad_request",
                   {{"reason", errcName(request.error().code)},
                    {"detail", request.error().detail}});
      return deps.pages.error(errorPageFor(request.error(), deps.config));
    }
    return route(*request, deps);
  };

  if (cgi) {
    return runCgi(handler, log);
  }
  auto listen_fd = openListenSocket(options->server);
  if (!listen_fd) {
    std::cerr << "latchkey: " << listen_fd.error().detail << '\n';
    return 1;
  }
  return runFastCgi(*listen_fd, options->server, handler, log);
}

}  // namespace latchkey

int main(int argc, char** argv) { return latchkey::runMain(argc, argv); }
