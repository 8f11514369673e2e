// mint_cookie: prints a sealed session cookie value, for end-to-end tests that need a
// signed-in browser without a full sign-in (or an expired one: pass a negative lifetime).
//
//   mint_cookie --config FILE [--secret-b64 B64] [--sub S] [--email E] [--name N]
//               [--lifetime SECONDS] [--access-token T] [--refresh-token R]
//               [--access-expires-at UNIX]
//
// The configuration gives the cookie secret and the deployment the cookie is bound to
// (provider, issuer, client_id, cookie_name); --secret-b64 replaces its secret (a forgery
// under another secret).
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "latchkey/config/config.h"
#include "latchkey/session/session.h"
#include "latchkey/util/encoding.h"

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "mint_cookie: %s\nusage: mint_cookie --config FILE [--secret-b64 B64] [--sub S] "
               "[--email E] "
               "[--name N] [--lifetime SECONDS] [--access-token T] [--refresh-token R] "
               "[--access-expires-at UNIX]\n",
               why);
  return 2;
}

std::optional<int64_t> parseInt(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> secret;
  std::optional<std::string> config_path;
  latchkey::Session session;
  session.sub = "test-subject";
  session.email = "test@example.com";
  session.email_verified = true;
  session.name = "Test User";
  int64_t lifetime = 28800;

  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc)
      return usage("missing value after a flag");
    const std::string_view value = argv[++i];
    if (flag == "--config") {
      config_path = std::string(value);
    } else if (flag == "--secret-b64") {
      secret = latchkey::base64Decode(value);
      if (!secret)
        return usage("--secret-b64 is not base64");
    } else if (flag == "--sub") {
      session.sub = value;
    } else if (flag == "--email") {
      session.email = value;
    } else if (flag == "--name") {
      session.name = value;
    } else if (flag == "--access-token") {
      session.access_token = value;
    } else if (flag == "--refresh-token") {
      session.refresh_token = value;
    } else if (flag == "--lifetime" || flag == "--access-expires-at") {
      const auto number = parseInt(value);
      if (!number)
        return usage("expected an integer");
      (flag == "--lifetime" ? lifetime : session.access_expires_at) = *number;
    } else {
      return usage("unknown flag");
    }
  }
  if (!config_path)
    return usage("--config is required");
  const latchkey::ConfigLoad loaded = latchkey::loadConfig(config_path, {});
  if (!loaded.config) {
    for (const std::string& problem : loaded.problems) {
      std::fprintf(stderr, "mint_cookie: %s\n", problem.c_str());
    }
    return 2;
  }
  if (!secret)
    secret = loaded.config->cookie_secret;
  if (secret->size() < 32)
    return usage("the secret must decode to at least 32 bytes");

  session.issued_at = static_cast<int64_t>(std::time(nullptr));
  session.expires_at = session.issued_at + lifetime;
  const latchkey::CookieCodec codec(*secret, std::nullopt, latchkey::cookieScope(*loaded.config));
  std::printf("%s\n", codec.sealSession(session).c_str());
  return 0;
}
