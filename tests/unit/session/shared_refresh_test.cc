// The refresh single-flight across processes: two handles on one SQLite file stand for two
// CGI processes (each opens the store itself); the provider is called once for both.
#include "latchkey/session/shared_refresh.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "support/temp_dir.h"

namespace latchkey {
namespace {

const std::string kSecret(32, 's');
const CookieScope kScope{"oidc", "https://idp.example", "client-1", "latchkey"};
constexpr int64_t kNow = 1'800'000'000;

struct TwoProcesses {
  TwoProcesses() {
    first = openSqliteStore(dir.path() + "/state.db", 2000).value();
    second = openSqliteStore(dir.path() + "/state.db", 2000).value();
  }
  testing::TempDir dir;
  const CookieCodec codec{kSecret, std::nullopt, kScope};
  std::unique_ptr<SessionStore> first;
  std::unique_ptr<SessionStore> second;
};

TEST(SharedRefresh, SecondProcessGetsTheFirstOnesTokensWithoutCallingTheProvider) {
  TwoProcesses p;
  int calls = 0;
  const auto provider = [&]() -> Result<TokenSet> {
    ++calls;
    return TokenSet{"access-2", "refresh-2", kNow + 3600};
  };
  const auto a = refreshOnceAcrossProcesses(*p.first, p.codec, "refresh-1", kNow, provider);
  ASSERT_TRUE(a);
  const auto b = refreshOnceAcrossProcesses(*p.second, p.codec, "refresh-1", kNow + 1, provider);
  ASSERT_TRUE(b) << b.error().detail;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(b->access_token, "access-2");
  EXPECT_EQ(b->refresh_token, "refresh-2");
  EXPECT_EQ(b->access_expires_at, kNow + 3600);
}

// While the first call runs, another process defers (kProviderBusy keeps the session) instead
// of spending the same refresh token a second time.
TEST(SharedRefresh, AnotherProcessDefersWhileTheCallRuns) {
  TwoProcesses p;
  Result<TokenSet> during = makeError(Errc::kInternal, "not run");
  const auto a = refreshOnceAcrossProcesses(*p.first, p.codec, "refresh-1", kNow, [&] {
    during = refreshOnceAcrossProcesses(*p.second, p.codec, "refresh-1", kNow, [] {
      ADD_FAILURE() << "the provider was called twice for one refresh token";
      return Result<TokenSet>(TokenSet{});
    });
    return Result<TokenSet>(TokenSet{"access-2", "refresh-2", kNow + 3600});
  });
  ASSERT_TRUE(a);
  ASSERT_FALSE(during);
  EXPECT_EQ(during.error().code, Errc::kProviderBusy);
}

// A refusal is not published: the next try asks the provider again once the claim ran out.
TEST(SharedRefresh, RefusalIsNotShared) {
  TwoProcesses p;
  int calls = 0;
  const auto refuse = [&]() -> Result<TokenSet> {
    ++calls;
    return makeError(Errc::kRefreshFailed, "invalid_grant");
  };
  EXPECT_EQ(refreshOnceAcrossProcesses(*p.first, p.codec, "refresh-1", kNow, refuse).error().code,
            Errc::kRefreshFailed);
  const int64_t later = kNow + kSharedRefreshClaimSeconds + 1;
  EXPECT_EQ(refreshOnceAcrossProcesses(*p.second, p.codec, "refresh-1", later, refuse).error().code,
            Errc::kRefreshFailed);
  EXPECT_EQ(calls, 2);
}

std::string fileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The store holds neither the old refresh token (only its hash) nor the new tokens in clear.
TEST(SharedRefresh, StoreHoldsNoTokenInClear) {
  TwoProcesses p;
  ASSERT_TRUE(refreshOnceAcrossProcesses(*p.first, p.codec, "old-refresh-token-0123", kNow, [] {
    return Result<TokenSet>(TokenSet{"new-access-token-4567", "new-refresh-token-89ab", kNow});
  }));
  const std::string stored =
      fileText(p.dir.path() + "/state.db") + fileText(p.dir.path() + "/state.db-wal");
  ASSERT_FALSE(stored.empty());
  for (const char* token :
       {"old-refresh-token-0123", "new-access-token-4567", "new-refresh-token-89ab"}) {
    EXPECT_EQ(stored.find(token), std::string::npos) << token;
  }
}

}  // namespace
}  // namespace latchkey
