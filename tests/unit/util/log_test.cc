// The JSON-lines logger on stderr.
#include "latchkey/util/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "latchkey/server/request_context.h"

namespace latchkey {
namespace {

// Redirects fd 2 into a pipe for the lifetime of the object.
class StderrCapture {
 public:
  StderrCapture() {
    EXPECT_EQ(::pipe(pipe_), 0);
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(pipe_[1], STDERR_FILENO);
  }
  ~StderrCapture() {
    restore();
    ::close(pipe_[0]);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Restores stderr and returns everything written meanwhile, split into lines.
  std::vector<std::string> lines() {
    restore();
    std::string all;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(pipe_[0], buffer, sizeof buffer)) > 0) {
      all.append(buffer, static_cast<size_t>(n));
    }
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl = all.find('\n'); nl != std::string::npos; nl = all.find('\n', start)) {
      out.push_back(all.substr(start, nl - start));
      start = nl + 1;
    }
    EXPECT_EQ(start, all.size()) << "output does not end with a newline";
    return out;
  }

 private:
  void restore() {
    if (saved_ >= 0) {
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      ::close(pipe_[1]);
      saved_ = -1;
    }
  }
  int pipe_[2] = {-1, -1};
  int saved_ = -1;
};

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.size());
  EXPECT_FALSE(doc.HasParseError()) << line;
  EXPECT_TRUE(doc.IsObject()) << line;
  return doc;
}

// A line is one JSON object with time, level, event and the fields in order.
TEST(Logger, WritesOneJsonObjectPerLine) {
  StderrCapture capture;
  Logger log(LogLevel::kInfo);
  log.log(LogLevel::kInfo, "sign_in", {{"client", "192.0.2.1"}, {"email", "a@example.com"}});
  log.log(LogLevel::kWarn, "cookie_refused", {});
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find("{\"time\":\""), 0u);
  EXPECT_LT(lines[0].find("\"event\":\"sign_in\""), lines[0].find("\"client\""));
  EXPECT_LT(lines[0].find("\"client\""), lines[0].find("\"email\""));
  const auto first = parse(lines[0]);
  EXPECT_STREQ(first["level"].GetString(), "info");
  EXPECT_STREQ(first["event"].GetString(), "sign_in");
  EXPECT_STREQ(first["client"].GetString(), "192.0.2.1");
  EXPECT_STREQ(first["email"].GetString(), "a@example.com");
  const std::string time = first["time"].GetString();
  ASSERT_EQ(time.size(), 24u) << time;  // 2026-11-28T02:38:46.123Z
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_STREQ(parse(lines[1])["level"].GetString(), "warn");
}

// Quotes, backslashes, newlines and control characters cannot break or forge a line.
TEST(Logger, EscapesHostileValues) {
  StderrCapture capture;
  Logger log(LogLevel::kDebug);
  const std::string hostile = std::string("a\"b\\c\nd\re\tf\x01g\0h", 16);
  log.log(LogLevel::kError, "sign_in_failed",
          {{"reason", hostile}, {"k\"ey\n", "v"}, {"email", "\"},\"event\":\"forged"}});
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto doc = parse(lines[0]);
  const auto& reason = doc["reason"];
  EXPECT_EQ(std::string(reason.GetString(), reason.GetStringLength()), hostile);
  EXPECT_STREQ(doc["k\"ey\n"].GetString(), "v");
  EXPECT_STREQ(doc["event"].GetString(), "sign_in_failed");
  EXPECT_STREQ(doc["email"].GetString(), "\"},\"event\":\"forged");
}

// Messages below the configured level are not written at all.
TEST(Logger, FiltersByLevel) {
  StderrCapture capture;
  Logger log(LogLevel::kWarn);
  EXPECT_TRUE(log.enabled(LogLevel::kError));
  EXPECT_FALSE(log.enabled(LogLevel::kInfo));
  log.log(LogLevel::kDebug, "debug_event", {});
  log.log(LogLevel::kInfo, "info_event", {});
  log.log(LogLevel::kWarn, "warn_event", {});
  log.log(LogLevel::kError, "error_event", {});
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_STREQ(parse(lines[0])["event"].GetString(), "warn_event");
  EXPECT_STREQ(parse(lines[1])["event"].GetString(), "error_event");
}

// A huge value is cut, and the line stays valid JSON.
TEST(Logger, TruncatesHugeValues) {
  StderrCapture capture;
  Logger log(LogLevel::kInfo);
  std::string huge;
  for (int i = 0; i < 5000; ++i) {
    huge += "\xC3\xA9";  // é: a cut must not split it
  }
  log.log(LogLevel::kInfo, "provider_error", {{"detail", huge}});
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LT(lines[0].size(), 2000u);
  const auto doc = parse(lines[0]);
  const std::string detail = doc["detail"].GetString();
  EXPECT_EQ(detail.size() % 2, 0u);
  EXPECT_EQ(huge.rfind(detail, 0), 0u);
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

// Inside a request every line carries its id (the one its error page shows); outside, none.
TEST(Logger, RequestIdOnEveryLineOfARequest) {
  const Logger log(LogLevel::kInfo);
  std::string id;
  StderrCapture capture;
  {
    const ParamMap params;
    const RequestScope scope(params);
    id = std::string(currentRequestId());
    log.log(LogLevel::kInfo, "sign_in_failed", {{"reason", "state_mismatch"}});
  }
  log.log(LogLevel::kInfo, "listening", {});
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(",\"request_id\":\"" + id + "\"}"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].find("request_id"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace latchkey
