// What every request goes through, whichever front end brought it: take the current
// runtime, name the request, parse, route, count, and write the access line.
#include <chrono>
#include <string>

#include "app/runtime.h"
#include "latchkey/app/error_pages.h"
#include "latchkey/server/request_context.h"
#include "latchkey/util/metrics.h"
#include "server/access_log.h"

namespace latchkey {
namespace {

// The counters a route's answer alone decides (a 302 from /login is a sign-in sent to the
// provider; from the callback, a completed one). Refusal reasons are counted where known.
void countAnswer(std::string_view path, int status) {
  if (path == "/auth") {
    metrics().authAnswered(status);
  } else if (path == "/login" && status == 302) {
    metrics().signInStarted();
  } else if (path == "/login/authorized" && status == 302) {
    metrics().signInCompleted();
  }
}

Response serve(Runtime& runtime, const ParamMap& params, std::string_view body) {
  Deps& deps = runtime.deps();
  const bool access_log = deps.config.access_log;
  const auto start =
      access_log ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  const RequestScope scope(params);
  auto request = requestFromParams(params, body, deps.config.base_path);
  Response response;
  std::string_view path;
  if (!request) {
    deps.log.log(LogLevel::kInfo, "bad_request",
                 {{"reason", errcName(request.error().code)}, {"detail", request.error().detail}});
    response = deps.pages.error(errorPageFor(request.error(), deps.config));
  } else {
    response = route(*request, deps);
    path = request->path;
    countAnswer(path, response.status);
  }
  if (access_log) {
    const auto method = params.find("REQUEST_METHOD");
    const auto client = params.find("REMOTE_ADDR");
    logAccess(deps.log,
              {method == params.end() ? std::string_view() : method->second, path,
               visitorUri(params), client == params.end() ? std::string_view() : client->second,
               response.status, std::chrono::steady_clock::now() - start});
  }
  return response;
}

}  // namespace

RequestHandler makeRequestHandler(const RuntimeHolder& holder) {
  return [&holder](const ParamMap& params, std::string_view body) {
    // One copy per request: a reload during this request does not touch what it uses.
    const std::shared_ptr<Runtime> runtime = holder.current();
    return serve(*runtime, params, body);
  };
}

}  // namespace latchkey
