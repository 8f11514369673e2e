// SessionStore on Redis, for several hosts. One connection per process behind a mutex (the
// store is asked about once a second, not per request); a broken connection is dropped and
// made again on the next call, so a Redis restart heals by itself. Every call is bounded
// by the connect/command timeout, so an unreachable Redis costs a bounded wait, never a hang.
//
// Keys, all under the deployment's prefix P (StoreLocation::prefix), so deployments sharing
// one Redis (and one database) never see each other's revocations or one-time keys:
//   P:generation          INCR on every revocation
//   P:revoked:sessions    sorted set, member sid, score = until
//   P:revoked:subjects    hash, subject -> "before until"
//   P:once:<key>          SET NX EX: first claim wins
//   P:shared:<key>        SET EX: short shared values
#include <hiredis/hiredis.h>

#include <charconv>
#include <memory>
#include <mutex>
#include <vector>

#include "latchkey/store/session_store.h"

namespace latchkey {
namespace {

struct ContextFree {
  void operator()(redisContext* context) const { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

struct ReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

std::string_view text(const redisReply* reply) {
  return reply->str == nullptr ? std::string_view() : std::string_view(reply->str, reply->len);
}

int64_t number(std::string_view digits) {
  int64_t value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

timeval toTimeval(int ms) {
  return {ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)};
}

class RedisStore final : public SessionStore {
 public:
  RedisStore(StoreLocation where, int timeout_ms)
      : where_(std::move(where)),
        timeout_ms_(timeout_ms),
        generation_key_(where_.prefix + ":generation"),
        sessions_key_(where_.prefix + ":revoked:sessions"),
        subjects_key_(where_.prefix + ":revoked:subjects"),
        once_prefix_(where_.prefix + ":once:"),
        shared_prefix_(where_.prefix + ":shared:") {}

  Status revokeSession(std::string_view sid, int64_t until, int64_t now) override {
    const std::string score = std::to_string(until);
    const std::string expired = std::to_string(now);
    return transaction("revoke session", {{"ZADD", sessions_key_, score, std::string(sid)},
                                          {"ZREMRANGEBYSCORE", sessions_key_, "-inf", expired},
                                          {"INCR", generation_key_}});
  }

  Status revokeSubject(std::string_view subject, int64_t before, int64_t until, int64_t) override {
    const std::string value = std::to_string(before) + " " + std::to_string(until);
    return transaction("revoke subject", {{"HSET", subjects_key_, std::string(subject), value},
                                          {"INCR", generation_key_}});
  }

  Result<uint64_t> generation() override {
    std::lock_guard lock(mutex_);
    ReplyPtr reply = command({"GET", generation_key_});
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) {
      return lastError("read generation", reply.get());
    }
    return static_cast<uint64_t>(number(text(reply.get())));
  }

  Result<RevocationSet> revocations(int64_t now) override {
    std::lock_guard lock(mutex_);
    const std::string from = "(" + std::to_string(now);
    ReplyPtr replies = exec({{"GET", generation_key_},
                             {"ZRANGEBYSCORE", sessions_key_, from, "+inf"},
                             {"HGETALL", subjects_key_}});
    if (!replies || replies->type != REDIS_REPLY_ARRAY || replies->elements != 3) {
      return lastError("read revocations", replies.get());
    }
    RevocationSet set;
    set.generation = static_cast<uint64_t>(number(text(replies->element[0])));
    const redisReply* sessions = replies->element[1];
    const redisReply* subjects = replies->element[2];
    if (sessions->type != REDIS_REPLY_ARRAY || subjects->type != REDIS_REPLY_ARRAY) {
      return lastError("read revocations", sessions);
    }
    for (size_t i = 0; i < sessions->elements; ++i) {
      set.sessions.emplace(text(sessions->element[i]));
    }
    for (size_t i = 0; i + 1 < subjects->elements; i += 2) {
      const std::string_view value = text(subjects->element[i + 1]);
      const size_t space = value.find(' ');
      if (space == std::string_view::npos || number(value.substr(space + 1)) <= now)
        continue;
      set.subjects.emplace(text(subjects->element[i]), number(value.substr(0, space)));
    }
    return set;
  }

  Result<bool> claimOnce(std::string_view key, int64_t until, int64_t now) override {
    std::lock_guard lock(mutex_);
    const std::string name = once_prefix_ + std::string(key);
    const std::string seconds = std::to_string(until > now ? until - now : 1);
    ReplyPtr reply = command({"SET", name, "1", "NX", "EX", seconds});
    if (!reply || (reply->type != REDIS_REPLY_STATUS && reply->type != REDIS_REPLY_NIL)) {
      return lastError("claim", reply.get());
    }
    return reply->type == REDIS_REPLY_STATUS;
  }

  Status releaseClaim(std::string_view key) override {
    std::lock_guard lock(mutex_);
    ReplyPtr reply = command({"DEL", once_prefix_ + std::string(key)});
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
      return lastError("release", reply.get());
    return {};
  }

  Status putValue(std::string_view key, std::string_view value, int64_t until,
                  int64_t now) override {
    std::lock_guard lock(mutex_);
    const std::string seconds = std::to_string(until > now ? until - now : 1);
    ReplyPtr reply =
        command({"SET", shared_prefix_ + std::string(key), std::string(value), "EX", seconds});
    if (!reply || reply->type != REDIS_REPLY_STATUS)
      return lastError("put", reply.get());
    return {};
  }

  Result<std::string> getValue(std::string_view key, int64_t) override {
    std::lock_guard lock(mutex_);
    ReplyPtr reply = command({"GET", shared_prefix_ + std::string(key)});
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) {
      return lastError("get", reply.get());
    }
    return std::string(text(reply.get()));
  }

 private:
  using Args = std::vector<std::string>;

  bool connect() {
    if (context_)
      return true;
    const timeval timeout = toTimeval(timeout_ms_);
    ContextPtr context(redisConnectWithTimeout(where_.host.c_str(), where_.port, timeout));
    if (!context || context->err != 0) {
      last_error_ = context ? context->errstr : "out of memory";
      return false;
    }
    redisSetTimeout(context.get(), timeout);
    context_ = std::move(context);
    if (!where_.password.empty()) {
      ReplyPtr reply = command({"AUTH", where_.password});
      if (!reply || reply->type == REDIS_REPLY_ERROR)
        return dropConnection();
    }
    if (where_.database != 0) {
      ReplyPtr reply = command({"SELECT", std::to_string(where_.database)});
      if (!reply || reply->type == REDIS_REPLY_ERROR)
        return dropConnection();
    }
    return true;
  }

  bool dropConnection() {
    context_.reset();
    return false;
  }

  // Binary-safe: every argument goes with its length. A failed or timed-out call drops the
  // connection (hiredis leaves it unusable), so the next call connects afresh.
  ReplyPtr command(const Args& args) {
    if (!connect())
      return nullptr;
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
        context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) {
      last_error_ = context_->errstr;
      dropConnection();
    } else if (reply->type == REDIS_REPLY_ERROR) {
      last_error_ = std::string(text(reply.get()));
    }
    return reply;
  }

  // MULTI ... EXEC: the commands run together, so a reader never sees the generation
  // bumped without the entry it announces. Returns EXEC's array.
  ReplyPtr exec(const std::vector<Args>& commands) {
    ReplyPtr begin = command({"MULTI"});
    if (!begin || begin->type == REDIS_REPLY_ERROR)
      return nullptr;
    for (const Args& args : commands) {
      ReplyPtr queued = command(args);
      if (!queued || queued->type == REDIS_REPLY_ERROR) {
        if (queued)
          command({"DISCARD"});
        return nullptr;
      }
    }
    return command({"EXEC"});
  }

  Status transaction(std::string_view what, const std::vector<Args>& commands) {
    std::lock_guard lock(mutex_);
    ReplyPtr replies = exec(commands);
    if (replies && replies->type == REDIS_REPLY_ARRAY && replies->elements == commands.size()) {
      return {};
    }
    return lastError(what, replies.get());
  }

  Error lastError(std::string_view what, const redisReply* reply = nullptr) const {
    std::string detail = "redis " + where_.host + ":" + std::to_string(where_.port) + ": " +
                         std::string(what) + ": ";
    detail += reply != nullptr && reply->type == REDIS_REPLY_ERROR ? std::string(text(reply))
              : last_error_.empty()                                ? "unexpected reply"
                                                                   : last_error_;
    return makeError(Errc::kStoreUnavailable, std::move(detail));
  }

  const StoreLocation where_;
  const int timeout_ms_;
  const std::string generation_key_;
  const std::string sessions_key_;
  const std::string subjects_key_;
  const std::string once_prefix_;
  const std::string shared_prefix_;
  std::mutex mutex_;
  ContextPtr context_;
  std::string last_error_;
};

}  // namespace

Result<std::unique_ptr<SessionStore>> openRedisStore(const StoreLocation& where, int timeout_ms) {
  // Connecting lazily lets latchkey start (and keep serving from its last copy) while Redis
  // is restarting; --check and the first request report a Redis that cannot be reached.
  return std::unique_ptr<SessionStore>(std::make_unique<RedisStore>(where, timeout_ms));
}

}  // namespace latchkey
