// The store's contract on the embedded back end (a real SQLite file), the session_store key,
// and the in-process revocation copy with its grace when the store is down.
#include "latchkey/store/session_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "latchkey/session/revocation_cache.h"
#include "support/temp_dir.h"

namespace latchkey {
namespace {

constexpr int64_t kNow = 1'800'000'000;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionStore> open() {
    auto store = openSqliteStore(path_, 2000);
    EXPECT_TRUE(store) << (store ? "" : store.error().detail);
    return store ? std::move(store.value()) : nullptr;
  }
  testing::TempDir dir_;
  std::string path_ = dir_.path() + "/state.db";
};

// A revocation bumps the generation and shows in the set until it expires.
TEST_F(SqliteStoreTest, RevokedSessionListedUntilItsExpiry) {
  auto store = open();
  ASSERT_TRUE(store);
  const uint64_t before = *store->generation();
  ASSERT_TRUE(store->revokeSession("sid-1", kNow + 100, kNow));
  EXPECT_EQ(*store->generation(), before + 1);
  auto set = store->revocations(kNow);
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->sessions.contains("sid-1"));
  EXPECT_EQ(set->generation, before + 1);
  EXPECT_FALSE(store->revocations(kNow + 100)->sessions.contains("sid-1"));
}

// A second handle on the same file (another process, in CGI) sees what the first wrote.
TEST_F(SqliteStoreTest, SharedBetweenHandles) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->revokeSubject("alice@example.com", kNow + 1, kNow + 3600, kNow));
  auto set = second->revocations(kNow);
  ASSERT_TRUE(set);
  ASSERT_TRUE(set->subjects.contains("alice@example.com"));
  EXPECT_EQ(set->subjects.find("alice@example.com")->second, kNow + 1);
  EXPECT_EQ(*second->generation(), *first->generation());
}

// claimOnce is first-wins across handles; an expired claim can be taken again.
TEST_F(SqliteStoreTest, ClaimOnceIsFirstWins) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(*first->claimOnce("state:x", kNow + 600, kNow));
  EXPECT_FALSE(*second->claimOnce("state:x", kNow + 600, kNow));
  EXPECT_FALSE(*first->claimOnce("state:x", kNow + 600, kNow + 10));
  EXPECT_TRUE(*second->claimOnce("state:x", kNow + 1200, kNow + 600));
  ASSERT_TRUE(first->releaseClaim("state:x"));
  EXPECT_TRUE(*first->claimOnce("state:x", kNow + 1200, kNow + 601));
}

// Many threads race for one key: exactly one wins.
TEST_F(SqliteStoreTest, ClaimOnceUnderContention) {
  std::vector<std::unique_ptr<SessionStore>> stores;
  for (int i = 0; i < 4; ++i)
    stores.push_back(open());
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (auto& store : stores) {
    threads.emplace_back([&] {
      auto claimed = store->claimOnce("race", kNow + 60, kNow);
      ASSERT_TRUE(claimed) << claimed.error().detail;
      if (*claimed)
        ++wins;
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_F(SqliteStoreTest, SharedValuesExpire) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->getValue("k", kNow), "");
  ASSERT_TRUE(store->putValue("k", std::string("a\0b", 3), kNow + 5, kNow));
  EXPECT_EQ(*store->getValue("k", kNow), std::string("a\0b", 3));
  EXPECT_EQ(*store->getValue("k", kNow + 5), "");
}

TEST_F(SqliteStoreTest, UnwritablePathIsAnError) {
  auto store = openSqliteStore(dir_.path() + "/missing/dir/state.db", 100);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kStoreUnavailable);
  EXPECT_NE(store.error().detail.find("missing/dir"), std::string::npos);
}

TEST(StoreLocation, Sqlite) {
  auto where = parseStoreLocation("sqlite:/var/lib/latchkey/state.db");
  ASSERT_TRUE(where);
  EXPECT_EQ(where->kind, StoreLocation::Kind::kSqlite);
  EXPECT_EQ(where->path, "/var/lib/latchkey/state.db");
  EXPECT_EQ(parseStoreLocation("sqlite:///tmp/x.db")->path, "/tmp/x.db");
  EXPECT_FALSE(parseStoreLocation("sqlite:state.db"));
}

TEST(StoreLocation, Redis) {
  auto where = parseStoreLocation("redis://:p%40ss@cache.internal:6380/2");
  ASSERT_TRUE(where);
  EXPECT_EQ(where->kind, StoreLocation::Kind::kRedis);
  EXPECT_EQ(where->host, "cache.internal");
  EXPECT_EQ(where->port, 6380);
  EXPECT_EQ(where->database, 2);
  EXPECT_EQ(where->password, "p@ss");
  auto plain = parseStoreLocation("redis://127.0.0.1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->database, 0);
  EXPECT_TRUE(plain->password.empty());
  EXPECT_EQ(parseStoreLocation("redis://user:secret@[::1]:7000/1")->host, "::1");
  EXPECT_EQ(parseStoreLocation("redis://user:secret@[::1]:7000/1")->password, "secret");
}

// ?prefix= names the deployment's keys; without it the default comes from issuer and client.
TEST(StoreLocation, RedisPrefix) {
  auto named = parseStoreLocation("redis://127.0.0.1:6379/0?prefix=shop-eu:prod");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->prefix, "shop-eu:prod");
  EXPECT_EQ(named->database, 0);
  EXPECT_EQ(parseStoreLocation("redis://127.0.0.1?prefix=a")->host, "127.0.0.1");
  EXPECT_TRUE(parseStoreLocation("redis://127.0.0.1")->prefix.empty());
  for (const char* bad : {"redis://h/0?prefix=", "redis://h/0?prefix=a b", "redis://h/0?db=1",
                          "redis://h/0?prefix=a%2Fb"}) {
    EXPECT_FALSE(parseStoreLocation(bad)) << bad;
  }
  const std::string mine = deploymentStorePrefix("https://idp.example", "client-1");
  EXPECT_TRUE(mine.starts_with("latchkey:")) << mine;
  EXPECT_EQ(mine.size(), 21u);
  EXPECT_EQ(mine, deploymentStorePrefix("https://idp.example", "client-1"));
  EXPECT_NE(mine, deploymentStorePrefix("https://idp.example", "client-2"));
  EXPECT_NE(mine, deploymentStorePrefix("https://other.example", "client-1"));
}

TEST(StoreLocation, Refused) {
  for (const char* bad : {"", "memcached://x", "redis://", "redis://h:0", "redis://h:99999",
                          "redis://h:6379/x", "redis://[::1"}) {
    EXPECT_FALSE(parseStoreLocation(bad)) << bad;
  }
  auto tls = parseStoreLocation("rediss://h:6379/0");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().detail.find("not supported"), std::string::npos);
}

// A store whose answers the test controls, counting the calls.
class FakeStore final : public SessionStore {
 public:
  Status revokeSession(std::string_view sid, int64_t, int64_t) override {
    set.sessions.emplace(sid);
    ++set.generation;
    return {};
  }
  Status revokeSubject(std::string_view subject, int64_t before, int64_t, int64_t) override {
    set.subjects[std::string(subject)] = before;
    ++set.generation;
    return {};
  }
  Result<uint64_t> generation() override {
    ++generation_calls;
    if (down)
      return makeError(Errc::kStoreUnavailable, "down");
    return set.generation;
  }
  Result<RevocationSet> revocations(int64_t) override {
    ++load_calls;
    if (down)
      return makeError(Errc::kStoreUnavailable, "down");
    return set;
  }
  Result<bool> claimOnce(std::string_view, int64_t, int64_t) override { return true; }
  Status putValue(std::string_view, std::string_view, int64_t, int64_t) override { return {}; }
  Result<std::string> getValue(std::string_view, int64_t) override { return std::string(); }
  Status releaseClaim(std::string_view) override { return {}; }

  RevocationSet set;
  bool down = false;
  int generation_calls = 0;
  int load_calls = 0;
};

using Verdict = RevocationCache::Verdict;
using std::chrono::milliseconds;

// Within the interval the copy answers without asking the store at all.
TEST(RevocationCache, AsksTheStoreAtMostOncePerInterval) {
  FakeStore store;
  RevocationCache cache(store, 30, milliseconds(60000));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(cache.check("sid", "sub", "a@b", kNow - 10, kNow), Verdict::kLive);
  }
  EXPECT_EQ(store.generation_calls, 1);
  EXPECT_EQ(store.load_calls, 1);
}

// The set is reloaded only when the generation moved; invalidate() forces the next look.
TEST(RevocationCache, ReloadsOnlyWhenTheGenerationMoves) {
  FakeStore store;
  RevocationCache cache(store, 30, milliseconds(0));
  EXPECT_EQ(cache.check("sid", "sub", "", kNow - 10, kNow), Verdict::kLive);
  EXPECT_EQ(cache.check("sid", "sub", "", kNow - 10, kNow), Verdict::kLive);
  EXPECT_EQ(store.load_calls, 1);
  ASSERT_TRUE(store.revokeSession("sid", kNow + 10, kNow));
  EXPECT_EQ(cache.check("sid", "sub", "", kNow - 10, kNow), Verdict::kRevoked);
  EXPECT_EQ(cache.check("other", "sub", "", kNow - 10, kNow), Verdict::kLive);
  EXPECT_EQ(store.load_calls, 2);

  RevocationCache slow(store, 30, milliseconds(60000));
  EXPECT_EQ(slow.check("x", "sub", "", kNow - 10, kNow), Verdict::kLive);
  ASSERT_TRUE(store.revokeSession("x", kNow + 10, kNow));
  EXPECT_EQ(slow.check("x", "sub", "", kNow - 10, kNow), Verdict::kLive);  // not yet seen
  slow.invalidate();
  EXPECT_EQ(slow.check("x", "sub", "", kNow - 10, kNow), Verdict::kRevoked);
}

// Subject marks void sessions issued before the mark, by sub or by e-mail in any case.
TEST(RevocationCache, SubjectMarks) {
  FakeStore store;
  RevocationCache cache(store, 30, milliseconds(0));
  ASSERT_TRUE(store.revokeSubject("alice-1", kNow, 0, kNow));
  ASSERT_TRUE(store.revokeSubject("bob@example.com", kNow, 0, kNow));
  EXPECT_EQ(cache.check("", "alice-1", "", kNow - 1, kNow), Verdict::kRevoked);
  EXPECT_EQ(cache.check("s", "alice-1", "", kNow, kNow), Verdict::kLive);
  EXPECT_EQ(cache.check("s", "bob-2", "Bob@Example.COM", kNow - 1, kNow), Verdict::kRevoked);
  EXPECT_EQ(cache.check("s", "carol", "carol@example.com", kNow - 1, kNow), Verdict::kLive);
}

// Store down: the copy serves for the grace, then the verdict is unknown; back up, it heals.
TEST(RevocationCache, GraceThenFailClosedThenHeals) {
  FakeStore store;
  RevocationCache cache(store, 1, milliseconds(0));
  ASSERT_TRUE(store.revokeSession("gone", kNow + 10, kNow));
  EXPECT_EQ(cache.check("live", "s", "", kNow - 1, kNow), Verdict::kLive);
  store.down = true;
  EXPECT_EQ(cache.check("live", "s", "", kNow - 1, kNow), Verdict::kLive);
  EXPECT_EQ(cache.check("gone", "s", "", kNow - 1, kNow), Verdict::kRevoked);
  std::this_thread::sleep_for(milliseconds(1100));
  EXPECT_EQ(cache.check("live", "s", "", kNow - 1, kNow), Verdict::kUnknown);
  store.down = false;
  EXPECT_EQ(cache.check("live", "s", "", kNow - 1, kNow), Verdict::kLive);
}

// A new process whose store is down from the start has no copy: unknown at once.
TEST(RevocationCache, NoCopyYetAndStoreDownIsUnknown) {
  FakeStore store;
  store.down = true;
  RevocationCache cache(store, 30, milliseconds(0));
  EXPECT_EQ(cache.check("s", "sub", "", kNow - 1, kNow), Verdict::kUnknown);
}

}  // namespace
}  // namespace latchkey
