// Refresh single-flight across processes. RefreshCoordinator keeps one process from spending a
// refresh token twice; with a session store, this keeps every process sharing it (plain CGI,
// several mod_fcgid processes, several hosts) from doing so. Providers that rotate refresh
// tokens refuse the second use of one (invalid_grant), which would end the session.
//
// The first process to ask claims the refresh token's key in the store, calls the provider,
// and publishes the new tokens there, sealed with the cookie keys, for kShareSeconds. Another
// process asking in the meantime gets kProviderBusy while the call runs (the caller serves the
// session as it is and asks again on a later request), then the published tokens.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "latchkey/oidc/identity_provider.h"
#include "latchkey/session/session.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/result.h"

namespace latchkey {

inline constexpr int64_t kSharedRefreshClaimSeconds = 30;  // longer than any provider call
inline constexpr int64_t kSharedRefreshShareSeconds = 60;

// call: the provider's refresh of refresh_token. A store outage falls back to calling the
// provider (this process's own single-flight still holds).
Result<TokenSet> refreshOnceAcrossProcesses(SessionStore& store, const CookieCodec& codec,
                                            const std::string& refresh_token, int64_t now,
                                            const std::function<Result<TokenSet>()>& call);

}  // namespace latchkey
