// What a visitor sees when a sign-in step fails.
#pragma once

#include "latchkey/config/config.h"
#include "latchkey/pages/pages.h"
#include "latchkey/util/result.h"

namespace latchkey {

// The page for a failed sign-in step: status (400/401/403/502), what happened and what to do.
ErrorPage errorPageFor(const Error& error, const Config& config);

}  // namespace latchkey
