// GET /metrics: the Prometheus text format. Off unless metrics = true, and then only for the
// client addresses in metrics_allow (loopback by default): the counters say how many people
// sign in and fail, which is nobody else's business.
#include "latchkey/util/metrics.h"

#include "latchkey/app/router.h"

namespace latchkey {

Response handleMetrics(const Request& request, Deps& deps) {
  if (!deps.config.metrics) {
    return deps.pages.notFound();  // as if the route did not exist
  }
  Response response;
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("X-Content-Type-Options", "nosniff");
  if (!addressAllowed(request.client_address, deps.config.metrics_allow)) {
    deps.log.log(LogLevel::kWarn, "metrics_refused",
                 {{"client", request.client_address}, {"reason", "not in metrics_allow"}});
    response.status = 403;
    response.addHeader("Content-Type", "text/plain; charset=utf-8");
    response.body = "403 Forbidden: this address is not in metrics_allow\n";
    return response;
  }
  response.addHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  response.body = metrics().render();
  return response;
}

}  // namespace latchkey
