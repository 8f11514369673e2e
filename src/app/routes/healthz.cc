// GET /healthz: liveness for load balancers and systemd checks. It asks nothing of the
// provider or the store, so a provider outage never takes the gate out of rotation.
#include "latchkey/app/router.h"

namespace latchkey {

Response handleHealthz(const Request&, Deps&) {
  Response response;
  response.body = "ok";
  response.addHeader("Content-Type", "text/plain; charset=utf-8");
  response.addHeader("Cache-Control", "no-store");
  return response;
}

}  // namespace latchkey
