// `latchkey init`: a first configuration for one deployment recipe, with a fresh cookie
// secret, the owner and mode the recipe's reader needs, and what to do next.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "latchkey/util/result.h"

namespace latchkey {

// Which program reads the configuration decides its group: the systemd service (nginx,
// Apache mod_proxy_fcgi) or the web server's own user (mod_fcgid, CGI).
enum class InitServer { kNginx, kApacheProxyFcgi, kApacheFcgid, kApacheCgi };

struct InitOptions {
  InitServer server = InitServer::kNginx;
  std::string site;  // https://host[:port][/base]
  std::string provider = "google";
  std::string issuer;
  std::string client_id;
  std::string config_path = "/etc/latchkey/latchkey.conf";
  bool force = false;
};

// What init writes and prints, computed without touching the system (unit-tested).
struct InitPlan {
  std::string config_text;              // holds the new cookie secret: written, never printed
  std::string redirect_uri;             // to register at the provider
  std::string base_path;                // from the site's path, "" for the root
  std::string snippet;                  // the web server lines, the site filled in
  std::vector<std::string> next_steps;  // commands, in order
};

// Parses the arguments after `init`. kBadRequest with a message naming the option.
Result<InitOptions> parseInitArguments(const std::vector<std::string_view>& args);

// Where make install (or the package) put latchkey: the binary the printed wrappers run, and
// the shared recipes (<prefix>/share/latchkey) the printed lines name.
struct InstalledPaths {
  std::string binary = "/usr/bin/latchkey";
  std::string data_dir = "/usr/share/latchkey";
};

// Builds the plan; the secret comes from the caller (the OS CSPRNG in runInit).
// kBadRequest when the site or issuer URL is not one latchkey accepts.
Result<InitPlan> planInit(const InitOptions& options, std::string_view cookie_secret,
                          const InstalledPaths& installed);

// `latchkey init ...`: exit code 0 when the file is written, 1 otherwise (message on stderr).
int runInit(const std::vector<std::string_view>& args);

// The usage lines shown by --help and on a usage error.
extern const std::string_view kInitUsage;

}  // namespace latchkey
