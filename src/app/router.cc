// Exact dispatch of the routes (README "What it does"). Everything else is a 404 page; a known
// route asked with a method it does not answer is a 405 with Allow.
#include "latchkey/app/router.h"

#include <array>
#include <string_view>
#include <vector>

namespace latchkey {
namespace {

using Handler = Response (*)(const Request&, Deps&);

struct Route {
  std::string_view path;
  std::string_view allow;  // "*" = any method
  Handler handler;
};

// /auth answers any method: inside an nginx auth_request subrequest REQUEST_METHOD is the
// visitor's own method ($request_method reads the main request), POST and PUT included.
constexpr std::array<Route, 10> kRoutes = {{
    {"/", "GET, HEAD", handleHome},
    {"/signed-out", "GET, HEAD", handleSignedOut},
    {"/login", "GET, HEAD", handleLogin},
    {"/login/authorized", "GET, HEAD", handleCallback},
    {"/logout", "GET, HEAD, POST", handleLogout},
    {"/backchannel-logout", "POST", handleBackchannelLogout},
    {"/auth", "*", handleAuth},
    {"/userinfo", "GET, HEAD", handleUserinfo},
    {"/healthz", "GET, HEAD", handleHealthz},
    {"/metrics", "GET, HEAD", handleMetrics},
}};

bool methodAllowed(std::string_view allow, std::string_view method) {
  if (allow == "*") {
    return true;
  }
  size_t pos = 0;
  while (pos < allow.size()) {
    size_t end = allow.find(", ", pos);
    if (end == std::string_view::npos) {
      end = allow.size();
    }
    if (allow.substr(pos, end - pos) == method) {
      return true;
    }
    pos = end + 2;
  }
  return false;
}

}  // namespace

Deps* providerDeps(Deps& deps, std::string_view id) {
  if (deps.providers == nullptr) {
    return &deps;
  }
  for (Deps* each : *deps.providers) {
    if (each->config.provider_id == id) {
      return each;
    }
  }
  return nullptr;
}

Response route(const Request& request, Deps& deps) {
  for (const Route& r : kRoutes) {
    if (r.path == request.path) {
      if (!methodAllowed(r.allow, request.method)) {
        return deps.pages.methodNotAllowed(r.allow);
      }
      return r.handler(request, deps);
    }
  }
  return deps.pages.notFound();
}

std::vector<std::string_view> routePaths() {
  std::vector<std::string_view> paths;
  for (const Route& r : kRoutes) {
    paths.push_back(r.path);
  }
  return paths;
}

}  // namespace latchkey
