// JSON lines on stderr (README "Logs").
#include "latchkey/util/log.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "latchkey/server/request_context.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/text.h"

namespace latchkey {
namespace {

// Keeps a line well under PIPE_BUF-sized chunks in the common case and stops a huge
// upstream error text from flooding the log.
constexpr size_t kMaxValueBytes = 1024;

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

// RFC 3339 with milliseconds: 2026-11-28T02:38:46.123Z.
std::string rfc3339Now() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char buffer[40];
  size_t n = strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  n += static_cast<size_t>(
      std::snprintf(buffer + n, sizeof buffer - n, ".%03ldZ", now.tv_nsec / 1'000'000));
  return std::string(buffer, n);
}

void appendField(std::string& line, std::string_view name, std::string_view value) {
  line += ",\"";
  line += jsonEscape(truncateUtf8(name, kMaxValueBytes));
  line += "\":\"";
  line += jsonEscape(truncateUtf8(value, kMaxValueBytes));
  line += '"';
}

// One write(2) per line: concurrent lines from worker threads never interleave inside a
// line (writes to a pipe up to PIPE_BUF are atomic; to a file, O_APPEND-style per call).
void writeLine(const std::string& line) {
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // nowhere left to report a failing log
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void Logger::log(LogLevel level, std::string_view event,
                 std::initializer_list<LogField> fields) const {
  if (!enabled(level)) {
    return;
  }
  std::string line = "{\"time\":\"" + rfc3339Now() + "\",\"level\":\"";
  line += levelName(level);
  line += "\",\"event\":\"";
  line += jsonEscape(truncateUtf8(event, kMaxValueBytes));
  line += '"';
  for (const auto& [name, value] : fields) {
    appendField(line, name, value);
  }
  if (const std::string_view id = currentRequestId(); !id.empty()) {
    appendField(line, "request_id", id);
  }
  line += "}\n";
  writeLine(line);
}

}  // namespace latchkey
