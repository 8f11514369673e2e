// One JSON object per line on stderr (README "Logs"). Never pass a secret, token, code or
// cookie value to these functions.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "latchkey/config/config.h"

namespace latchkey {

using LogField = std::pair<std::string_view, std::string_view>;

class Logger {
 public:
  explicit Logger(LogLevel level) : level_(level) {}
  bool enabled(LogLevel level) const { return level <= level_; }
  // {"time":"2026-11-28T02:38:46.123Z","level":"info","event":"sign_in","request_id":"...",
  //  "client":"1.2.3.4",...}: request_id while serving a request (request_context.h).
  // Fields are written in order; values are JSON-escaped. One write(2) per line.
  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) const;

 private:
  LogLevel level_;
};

}  // namespace latchkey
