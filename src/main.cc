// latchkey: command line, start-up checks, then FastCGI (or one CGI request).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/runtime.h"
#include "cli/init_command.h"
#include "latchkey/app/access_rules.h"
#include "latchkey/app/router.h"
#include "latchkey/net/http_client.h"
#include "latchkey/oidc/bounded_provider.h"
#include "latchkey/server/server.h"
#include "latchkey/session/refresh_coordinator.h"
#include "latchkey/session/replay_guard.h"
#include "latchkey/session/revocation_cache.h"
#include "latchkey/session/session.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/log.h"
#include "latchkey/util/text.h"
#include "pages/builtin_templates.h"

namespace latchkey {
namespace {

constexpr std::string_view kUsage =
    "usage: latchkey --config FILE [--listen ADDR] [--threads N] [--socket-mode MODE]\n"
    "                [--socket-group NAME]\n"
    "       latchkey --config FILE --check\n"
    "       latchkey --print-templates DIR\n"
    "       latchkey --config FILE --revoke-user SUBJECT_OR_EMAIL\n"
    "       latchkey --version | --help\n"
    "%INIT%"
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
    "  init                 write a first configuration for one recipe (fresh cookie\n"
    "                       secret, owner and mode for that server) and print the web\n"
    "                       server lines, the redirect URI and the next commands\n"
    "  --print-templates DIR\n"
    "                       write the built-in page templates into DIR (created if\n"
    "                       missing, existing files kept) to start templates_dir from\n"
    "\n"
    "  LATCHKEY_CONFIG      (environment) the configuration file when --config is not given\n"
    "\n"
    "Started as CGI (GATEWAY_INTERFACE set, fd 0 not a listening socket) it answers one\n"
    "request and ignores its command line: name the file in LATCHKEY_CONFIG.\n"
    "Configuration keys:";

// Each key's default, worded as in the README's configuration table (tests/e2e/docs.test.mjs
// holds them to it).
constexpr std::pair<std::string_view, std::string_view> kKeyDefaults[] = {
    {"provider", "oidc when issuer is set, else google"},
    {"providers", "none: one provider, keys without NAME. prefixes"},
    {"issuer", "google: https://accounts.google.com"},
    {"client_id", "required"},
    {"client_secret", "one required"},
    {"client_secret_file", "one required"},
    {"redirect_uri", "required"},
    {"scopes", "openid email profile (github: read:user user:email)"},
    {"cookie_secret", "one required"},
    {"cookie_secret_file", "one required"},
    {"cookie_secret_previous", "none"},
    {"cookie_name", "latchkey (__Host-latchkey over https, __Secure-latchkey with cookie_domain)"},
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
    {"groups_claim", "groups"},
    {"allowed_groups", "empty"},
    {"allowed_github_orgs", "empty"},
    {"require_claim", "none"},
    {"pass_access_token", "false"},
    {"bearer_tokens", "false"},
    {"bearer_audiences", "none"},
    {"auth_cache_seconds", "0"},
    {"allow_unverified_email", "false"},
    {"trusted_audiences", "none"},
    {"id_token_max_age", "300"},
    {"connect_timeout", "3"},
    {"site_name", "none"},
    {"banner_text", "none"},
    {"footer_text", "none"},
    {"logo_url", "none"},
    {"cookie_domain", "none (host-only cookie)"},
    {"allowed_redirect_domains", "empty"},
    {"metrics", "false (404)"},
    {"metrics_allow", "127.0.0.0/8 ::1"},
    {"access_log", "false"},
    {"session_store", "none: stateless cookies"},
    {"session_store_grace", "30"},
    {"rp_initiated_logout", "false"},
    {"post_logout_redirect_uri", "<site><base_path>/ (from redirect_uri)"},
    {"revalidate_seconds", "0 (off)"},
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
  const std::string usage(kUsage);
  const size_t at = usage.find("%INIT%");
  std::cout << usage.substr(0, at) << kInitUsage << usage.substr(at + 6);
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

// Background refresh threads (FastCGI only). Two, so one refresh stuck on a hanging provider
// does not hold up every other session's.
constexpr int kRefreshThreads = 2;
// LATCHKEY_CONFIG names the configuration file when --config does not (and always in CGI).
std::optional<std::string> configPathFromEnvironment() {
  const char* path = std::getenv("LATCHKEY_CONFIG");  // NOLINT(concurrency-mt-unsafe)
  if (path == nullptr || *path == '\0') {
    return std::nullopt;
  }
  return std::string(path);
}

struct Options {
  std::optional<std::string> config_path;
  std::optional<std::string> print_templates_dir;
  ServerOptions server;
  bool check = false;
  std::optional<std::string> revoke_user;
};

// How long any one call to the session store may take (connect, command, SQLite lock wait).
constexpr int kStoreTimeoutMs = 2000;
// How often a process asks the store whether anything was revoked: twice a second keeps a
// logout visible everywhere within a second.
constexpr RevocationCache::Millis kRevocationSyncInterval{500};

// Parses argv (never in CGI mode: see cgiOptions).
std::optional<Options> parseArguments(int argc, char** argv, int& exit_code) {
  Options options;
  exit_code = 1;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool takes_value = arg == "--config" || arg == "--listen" || arg == "--threads" ||
                             arg == "--socket-mode" || arg == "--socket-group" ||
                             arg == "--print-templates" || arg == "--revoke-user";
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
    } else if (arg == "--print-templates") {
      options.print_templates_dir = value;
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
    } else {
      std::cerr << "latchkey: unknown argument '" << arg << "'; see latchkey --help\n";
      return std::nullopt;
    }
  }
  if (!options.config_path) {
    options.config_path = configPathFromEnvironment();
  }
  return options;
}

// RFC 3875 §4.4: for a query string without '=', a web server passes its words as
// command-line arguments, so in CGI mode argv is the visitor's, not the site owner's
// (the php-cgi CVE-2012-1823 pattern: "?--config+/dev/stdin+--check" would read a config
// from the request body and send the client secret to its issuer). Nothing in argv is
// looked at; the configuration file comes from the environment the site owner set.
Options cgiOptions() {
  Options options;
  options.config_path = configPathFromEnvironment();
  return options;
}

// The built-in templates as files, the starting point for templates_dir. A file already
// there is kept: it may be the site owner's edited copy.
int printTemplates(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "latchkey: cannot create " << dir << " (" << ec.message() << ")\n";
    return 1;
  }
  int status = 0;
  for (const std::string& name : Pages::templateNames()) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    if (std::filesystem::exists(path, ec)) {
      std::cerr << "latchkey: " << path.string() << " exists; kept as it is\n";
      status = 1;
      continue;
    }
    std::ofstream out(path, std::ios::binary);
    out << builtinTemplate(name);
    out.close();
    if (!out) {
      std::cerr << "latchkey: cannot write " << path.string() << '\n';
      return 1;
    }
    std::cout << path.string() << '\n';
  }
  return status;
}

Result<std::unique_ptr<SessionStore>> openConfiguredStore(const Config& config) {
  auto where = parseStoreLocation(config.session_store);
  if (!where) {
    return where.error();
  }
  if (where->prefix.empty()) {
    where->prefix = deploymentStorePrefix(config.issuer, config.client_id);
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
    const std::string lower = toLowerAscii(who);
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
  // A command of its own; never in CGI mode, where argv is the visitor's.
  if (!cgi && argc > 1 && std::string_view(argv[1]) == "init") {
    return runInit(std::vector<std::string_view>(argv + 2, argv + argc));
  }
  int exit_code = 1;
  auto options = cgi ? std::optional(cgiOptions()) : parseArguments(argc, argv, exit_code);
  if (!options) {
    return exit_code;
  }
  if (options->print_templates_dir && !cgi) {
    return printTemplates(*options->print_templates_dir);
  }

  SystemClock clock;
  // Refreshes run on threads of their own (FastCGI), so /auth never waits on the token
  // endpoint for long; provider calls may hold all but a quarter of the workers.
  RefreshCoordinator refresher(cgi ? 0 : kRefreshThreads);
  ReplayGuard used_states;
  RuntimeBase base{clock,       refresher,
                   used_states, cgi ? 1 : providerCallLimit(workerThreads(options->server)),
                   nullptr,     nullptr};
  const auto refused = [&options](const std::vector<std::string>& problems) {
    for (const std::string& problem : problems) {
      std::cerr << "latchkey: " << problem << '\n';
    }
    std::cerr << "latchkey: configuration refused (" << problems.size()
              << (problems.size() == 1 ? " problem" : " problems") << ")"
              << (options->check ? "\n" : "; not starting\n");
    return 1;
  };
  RuntimeLoad loaded = loadRuntime(options->config_path, base);
  if (!loaded.runtime) {
    return refused(loaded.problems);
  }
  if (options->revoke_user) {
    return revokeUser(loaded.runtime->config(), *options->revoke_user);
  }
  // The store outlives reloads (a reload does not move it: restart to change session_store);
  // the runtime is built again once it is open, so its Deps reach it.
  std::unique_ptr<SessionStore> store;
  std::unique_ptr<RevocationCache> revocations;
  if (const Config& first = loaded.runtime->config(); !first.session_store.empty()) {
    auto opened = openConfiguredStore(first);
    if (!opened) {
      std::cerr << "latchkey: session_store: " << opened.error().detail << '\n';
      return 1;
    }
    store = std::move(opened.value());
    revocations = std::make_unique<RevocationCache>(*store, first.session_store_grace,
                                                    kRevocationSyncInterval);
    base.store = store.get();
    base.revocations = revocations.get();
    loaded = loadRuntime(options->config_path, base);
    if (!loaded.runtime) {
      return refused(loaded.problems);
    }
  }
  RuntimeHolder holder(loaded.runtime);
  const Logger log = loaded.runtime->log();

  // CGI: one process per request, so libcurl is loaded only if this request calls the provider.
  if (!cgi) {
    if (Status curl = initHttpClientLibrary(); !curl) {
      std::cerr << "latchkey: " << curl.error().detail << '\n';
      return 1;
    }
  }

  // No rule at all: any account at the provider gets in. Say so, so it is a choice.
  const char* kOpenDoor =
      "no rule restricts who may sign in: any account at the provider gets in (set "
      "allowed_emails, allowed_domains, allowed_groups, allowed_github_orgs or require_claim)";
  if (options->check) {
    std::string report;
    bool all_ok = true;
    // With several providers each is checked, even after one fails, and each part of the
    // report is headed with the provider's name.
    const auto providers = loaded.runtime->providers();
    for (const Runtime::ProviderEntry& entry : providers) {
      const std::string& id = entry.config.provider_id;
      const std::string heading = id.empty() ? "" : "provider " + id + ":\n";
      if (!restrictsSignIn(entry.config)) {
        std::cout << "warning: " << (id.empty() ? "" : "provider " + id + ": ") << kOpenDoor
                  << "\n";
      }
      auto checked = entry.provider.check();
      if (!checked) {
        // The detail holds the steps that passed, the one that failed and the redirect URI
        // to register, one per line; the verdict goes on a line of its own after them.
        std::string detail = checked.error().detail;
        if (!detail.empty() && detail.back() != '\n') {
          detail += '\n';
        }
        std::cerr << heading << detail << "latchkey: check failed"
                  << (id.empty() ? "" : " for provider " + id) << " ("
                  << errcName(checked.error().code) << ")\n";
        all_ok = false;
        continue;
      }
      report += heading + *checked;
    }
    if (!all_ok) {
      std::cout << report;
      return 1;
    }
    if (store) {
      if (auto generation = store->generation(); !generation) {
        std::cerr << report << "session_store: " << generation.error().detail
                  << "\nlatchkey: check failed (" << errcName(generation.error().code) << ")\n";
        return 1;
      }
      report += "session store reachable\n";
    }
    std::cout << report << "configuration OK\n";
    return 0;
  }
  for (const Runtime::ProviderEntry& entry : loaded.runtime->providers()) {
    if (!cgi && !restrictsSignIn(entry.config)) {
      if (entry.config.provider_id.empty()) {
        log.log(LogLevel::kWarn, "open_door", {{"detail", kOpenDoor}});
      } else {
        log.log(LogLevel::kWarn, "open_door",
                {{"detail", kOpenDoor}, {"provider", entry.config.provider_id}});
      }
    }
  }
  loaded.runtime.reset();  // the holder keeps it; a reload can then free it

  const RequestHandler handler = makeRequestHandler(holder);
  if (cgi) {
    return runCgi(handler, log);
  }
  auto listen_fds = openListenSockets(options->server);
  if (!listen_fds) {
    std::cerr << "latchkey: " << listen_fds.error().detail << '\n';
    return 1;
  }
  options->server.on_reload = [&holder, &options, &base] {
    reloadRuntime(holder, options->config_path, base);
  };
  return runFastCgi(*listen_fds, options->server, handler, log);
}

}  // namespace latchkey

int main(int argc, char** argv) {
  return latchkey::runMain(argc, argv);
}
