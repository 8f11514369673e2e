// A short random id for the request being answered, shown on error pages and written into
// every log line of that request, so a visitor can quote it and the owner can find the line.
//
// It lives in a thread-local slot: a worker thread answers one request at a time, and
// passing it by hand through every handler, provider call and log call would touch every
// signature for a value that is only ever read at the two edges (pages and logs).
#pragma once

#include <string>
#include <string_view>

namespace latchkey {

// Gives the current thread a fresh id for as long as the scope lives.
class RequestIdScope {
 public:
  RequestIdScope();
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;
};

// The id of the request this thread is answering; empty outside a RequestIdScope.
std::string_view currentRequestId();

}  // namespace latchkey
