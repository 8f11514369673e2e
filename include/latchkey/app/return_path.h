// Where a visitor lands after sign-in: the rd parameter, checked so it can never lead off
// the site (RFC 9700 §4.11).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "latchkey/config/config.h"
#include "latchkey/http/http.h"

namespace latchkey {

// The rd of a request, unchecked: all the rest of a query string that starts with "rd=" (web
// servers cannot encode the '&' of the page's own query), else the rd parameter, else "/".
std::string requestedReturnPath(const Request& request);

// "rd" check: a local absolute path, or "/" when it could lead anywhere else.
std::string safeReturnPath(std::string_view rd);

// Same, and also an absolute https URL (http on loopback) whose host (and port) is listed in
// allowed: returned as scheme://host[:port]/path, lower-cased host, ASCII-escaped path.
std::string safeReturnAddress(std::string_view rd, const std::vector<RedirectHost>& allowed);

}  // namespace latchkey
