// SessionStore on one SQLite file: the embedded default. WAL lets readers run beside one
// writer; busy_timeout makes concurrent writers (other CGI processes, other workers) wait
// their turn instead of failing; every write is one statement or one IMMEDIATE
// transaction, so two processes never interleave half-done updates.
#include <sqlite3.h>

#include <memory>
#include <mutex>

#include "latchkey/store/session_store.h"

namespace latchkey {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

constexpr int kSchemaVersion = 1;
constexpr const char* kSchema =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES('generation', 0);"
    "CREATE TABLE IF NOT EXISTS revoked_session(sid TEXT PRIMARY KEY, until INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS revoked_subject(subject TEXT PRIMARY KEY,"
    " before INTEGER NOT NULL, until INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS once(key TEXT PRIMARY KEY, until INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS shared(key TEXT PRIMARY KEY, value BLOB NOT NULL,"
    " until INTEGER NOT NULL);"
    "PRAGMA user_version = 1;"
    "COMMIT;";

Error storeError(sqlite3* db, std::string_view what) {
  return makeError(Errc::kStoreUnavailable,
                   "sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) ==
        SQLITE_OK) {
      stmt_.reset(raw);
    }
  }
  bool ok() const { return stmt_ != nullptr; }
  Statement& bind(int index, std::string_view text) {
    if (ok()) {
      sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT);
    }
    return *this;
  }
  Statement& bind(int index, int64_t number) {
    if (ok())
      sqlite3_bind_int64(stmt_.get(), index, number);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return ok() ? sqlite3_step(stmt_.get()) : SQLITE_ERROR; }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
  std::string text(int column) const {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_.get(), column));
    return bytes == nullptr ? std::string()
                            : std::string(bytes, sqlite3_column_bytes(stmt_.get(), column));
  }

 private:
  StmtPtr stmt_;
};

class SqliteStore final : public SessionStore {
 public:
  explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

  Status revokeSession(std::string_view sid, int64_t until, int64_t now) override {
    std::lock_guard lock(mutex_);
    return transaction("revoke session", [&] {
      return Statement(db(), "INSERT OR REPLACE INTO revoked_session VALUES(?1, ?2)")
                     .bind(1, sid)
                     .bind(2, until)
                     .step() == SQLITE_DONE &&
             purgeAndBump(now);
    });
  }

  Status revokeSubject(std::string_view subject, int64_t before, int64_t until,
                       int64_t now) override {
    std::lock_guard lock(mutex_);
    return transaction("revoke subject", [&] {
      return Statement(db(),
                       "INSERT INTO revoked_subject VALUES(?1, ?2, ?3) ON CONFLICT(subject) DO "
                       "UPDATE SET before = max(before, ?2), until = max(until, ?3)")
                     .bind(1, subject)
                     .bind(2, before)
                     .bind(3, until)
                     .step() == SQLITE_DONE &&
             purgeAndBump(now);
    });
  }

  Result<uint64_t> generation() override {
    std::lock_guard lock(mutex_);
    Statement get(db(), "SELECT value FROM meta WHERE name = 'generation'");
    if (get.step() != SQLITE_ROW)
      return storeError(db(), "read generation");
    return static_cast<uint64_t>(get.integer(0));
  }

  Result<RevocationSet> revocations(int64_t now) override {
    std::lock_guard lock(mutex_);
    RevocationSet set;
    // One read transaction, so the generation matches the rows read with it.
    if (!exec("BEGIN"))
      return storeError(db(), "begin");
    const bool ok = readAll(set, now);
    if (!ok) {
      Error error = storeError(db(), "read revocations");
      exec("ROLLBACK");
      return error;
    }
    exec("COMMIT");
    return set;
  }

  Result<bool> claimOnce(std::string_view key, int64_t until, int64_t now) override {
    std::lock_guard lock(mutex_);
    // One statement: inserted, or an expired claim taken over; a live claim stays as it is.
    Statement claim(db(),
                    "INSERT INTO once VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE "
                    "SET until = ?2 WHERE once.until <= ?3");
    if (claim.bind(1, key).bind(2, until).bind(3, now).step() != SQLITE_DONE) {
      return storeError(db(), "claim");
    }
    const bool claimed = sqlite3_changes(db()) == 1;
    Statement(db(), "DELETE FROM once WHERE until <= ?1").bind(1, now).step();
    return claimed;
  }

  Status releaseClaim(std::string_view key) override {
    std::lock_guard lock(mutex_);
    if (Statement(db(), "DELETE FROM once WHERE key = ?1").bind(1, key).step() != SQLITE_DONE) {
      return storeError(db(), "release");
    }
    return {};
  }

  Status putValue(std::string_view key, std::string_view value, int64_t until,
                  int64_t now) override {
    std::lock_guard lock(mutex_);
    if (Statement(db(), "INSERT OR REPLACE INTO shared VALUES(?1, ?2, ?3)")
            .bind(1, key)
            .bind(2, value)
            .bind(3, until)
            .step() != SQLITE_DONE) {
      return storeError(db(), "put");
    }
    Statement(db(), "DELETE FROM shared WHERE until <= ?1").bind(1, now).step();
    return {};
  }

  Result<std::string> getValue(std::string_view key, int64_t now) override {
    std::lock_guard lock(mutex_);
    Statement get(db(), "SELECT value FROM shared WHERE key = ?1 AND until > ?2");
    const int rc = get.bind(1, key).bind(2, now).step();
    if (rc == SQLITE_ROW)
      return get.text(0);
    if (rc == SQLITE_DONE)
      return std::string();
    return storeError(db(), "get");
  }

 private:
  sqlite3* db() const { return db_.get(); }

  bool readAll(RevocationSet& set, int64_t now) {
    bool ok = true;
    Statement gen(db(), "SELECT value FROM meta WHERE name = 'generation'");
    ok = gen.step() == SQLITE_ROW;
    if (ok)
      set.generation = static_cast<uint64_t>(gen.integer(0));
    Statement sessions(db(), "SELECT sid FROM revoked_session WHERE until > ?1");
    sessions.bind(1, now);
    int rc = SQLITE_ROW;
    while (ok && (rc = sessions.step()) == SQLITE_ROW)
      set.sessions.insert(sessions.text(0));
    ok = ok && rc == SQLITE_DONE;
    Statement subjects(db(), "SELECT subject, before FROM revoked_subject WHERE until > ?1");
    subjects.bind(1, now);
    rc = SQLITE_ROW;
    while (ok && (rc = subjects.step()) == SQLITE_ROW) {
      set.subjects.emplace(subjects.text(0), subjects.integer(1));
    }
    return ok && rc == SQLITE_DONE;
  }

  bool exec(const char* sql) {
    return sqlite3_exec(db(), sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }

  // Expired revocations are dropped as new ones arrive, so the tables stay the size of the
  // live set; the generation tells every process to reload.
  bool purgeAndBump(int64_t now) {
    return Statement(db(), "DELETE FROM revoked_session WHERE until <= ?1").bind(1, now).step() ==
               SQLITE_DONE &&
           Statement(db(), "DELETE FROM revoked_subject WHERE until <= ?1").bind(1, now).step() ==
               SQLITE_DONE &&
           Statement(db(), "UPDATE meta SET value = value + 1 WHERE name = 'generation'").step() ==
               SQLITE_DONE;
  }

  template <typename Body>
  Status transaction(std::string_view what, Body body) {
    // IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so the
    // transaction cannot fail half-way on a lock upgrade.
    if (!exec("BEGIN IMMEDIATE"))
      return storeError(db(), what);
    if (!body()) {
      Error error = storeError(db(), what);
      exec("ROLLBACK");
      return error;
    }
    if (!exec("COMMIT")) {
      Error error = storeError(db(), what);
      exec("ROLLBACK");
      return error;
    }
    return {};
  }

  std::mutex mutex_;
  DbPtr db_;
};

}  // namespace

Result<std::unique_ptr<SessionStore>> openSqliteStore(const std::string& path, int timeout_ms) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);  // sqlite3_open_v2 hands out a handle even on failure
  if (rc != SQLITE_OK) {
    return makeError(Errc::kStoreUnavailable,
                     "sqlite: cannot open " + path + ": " +
                         (raw != nullptr ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(db.get(), timeout_ms);
  // WAL is a property of the file: set once, every later open finds it.
  if (sqlite3_exec(db.get(), "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", nullptr,
                   nullptr, nullptr) != SQLITE_OK) {
    return storeError(db.get(), "set WAL mode on " + path);
  }
  int64_t schema = 0;
  {
    Statement version(db.get(), "PRAGMA user_version");
    if (version.step() != SQLITE_ROW)
      return storeError(db.get(), "read schema version");
    schema = version.integer(0);
  }
  if (schema < kSchemaVersion &&
      sqlite3_exec(db.get(), kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    Error error = storeError(db.get(), "create tables in " + path);
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    return error;
  }
  return std::unique_ptr<SessionStore>(std::make_unique<SqliteStore>(std::move(db)));
}

}  // namespace latchkey
