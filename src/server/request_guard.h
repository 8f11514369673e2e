// The caps and the exception barrier shared by the FastCGI and CGI front ends
// (guardedHandle in latchkey/server/server.h).
#pragma once

#include <cstddef>
#include <string_view>

#include "latchkey/http/http.h"

namespace latchkey {

// How many body bytes a front end should read: CONTENT_LENGTH when the params and the
// declared length are within the caps, else 0 (guardedHandle then answers 400/413 without
// the body ever being read).
size_t bodyBytesToRead(const ParamMap& params);

// REMOTE_ADDR, for log lines; empty when the web server sent none.
std::string_view clientOf(const ParamMap& params);

}  // namespace latchkey
