// Server-side session state shared by every latchkey process that names the same store:
// revoked sessions, per-subject "issued before T" marks, one-time keys (the callback replay
// guard) and short locks (refresh single-flight). Two back ends: SQLite (one host, CGI
// included) and Redis (several hosts). Cookies stay self-contained; the store only ever
// says "no" to a cookie that would otherwise be valid.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "latchkey/util/result.h"

namespace latchkey {

// Lets the sets below be searched with a string_view, so /auth allocates nothing to look.
struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// Everything /auth needs to refuse a revoked cookie, read in one go.
struct RevocationSet {
  uint64_t generation = 0;  // bumped by every revocation
  std::unordered_set<std::string, TransparentHash, std::equal_to<>> sessions;  // revoked sids
  // sub, or lower-case e-mail -> sessions issued before this time are void
  std::unordered_map<std::string, int64_t, TransparentHash, std::equal_to<>> subjects;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Remembers a revoked session id until `until` (its cookie's expiry), bumps the generation.
  virtual Status revokeSession(std::string_view sid, int64_t until, int64_t now) = 0;
  // Sessions of `subject` (a sub or an e-mail) issued before `before` are void until `until`.
  virtual Status revokeSubject(std::string_view subject, int64_t before, int64_t until,
                               int64_t now) = 0;
  // Only the counter: the cheap question asked about once a second.
  virtual Result<uint64_t> generation() = 0;
  // The live entries (expired ones are left out and may be purged).
  virtual Result<RevocationSet> revocations(int64_t now) = 0;

  // True the first time `key` is claimed before `until`, false while an earlier claim lives.
  // Atomic across processes and hosts sharing the store.
  virtual Result<bool> claimOnce(std::string_view key, int64_t until, int64_t now) = 0;
  // A short value shared between processes (e.g. the sealed result of a refresh).
  virtual Status putValue(std::string_view key, std::string_view value, int64_t until,
                          int64_t now) = 0;
  // Empty string when absent or expired.
  virtual Result<std::string> getValue(std::string_view key, int64_t now) = 0;
  virtual Status releaseClaim(std::string_view key) = 0;
};

// Parsed form of the session_store key.
struct StoreLocation {
  enum class Kind { kSqlite, kRedis };
  Kind kind = Kind::kSqlite;
  std::string path;  // sqlite
  std::string host;  // redis
  int port = 6379;
  int database = 0;
  std::string password;
  // Redis: every key starts with "<prefix>:". From ?prefix=NAME, else (empty here) filled in
  // by deploymentStorePrefix.
  std::string prefix;
};

// "sqlite:/abs/path.db" or "redis://[:password@]host[:port][/db][?prefix=NAME]" (NAME: 1..64
// of A-Z a-z 0-9 _ - . :). Error text is one line for the operator (rediss:// is refused:
// hiredis 0.14 has no TLS).
Result<StoreLocation> parseStoreLocation(std::string_view text);

// The default Redis key prefix of a deployment: "latchkey:" and 12 base64url characters of
// SHA-256(issuer, client_id). Deployments of one client share their revocations; those of
// different clients or providers are kept apart even in one Redis database.
std::string deploymentStorePrefix(std::string_view issuer, std::string_view client_id);

// Opens (and for SQLite creates the schema in) the store. timeout_ms bounds every call.
Result<std::unique_ptr<SessionStore>> openSessionStore(const StoreLocation& where, int timeout_ms);
Result<std::unique_ptr<SessionStore>> openSqliteStore(const std::string& path, int timeout_ms);
Result<std::unique_ptr<SessionStore>> openRedisStore(const StoreLocation& where, int timeout_ms);

}  // namespace latchkey
