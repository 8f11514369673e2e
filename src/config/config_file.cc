// The configuration file: "key = value" lines into the raw map, and reading small files
// (the configuration itself and the *_file keys).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "config/raw_config.h"
#include "latchkey/util/text.h"

namespace latchkey::config_detail {

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\f\v\n";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  const size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

// Splits on any of the separator characters, dropping empty pieces.
std::vector<std::string_view> split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t next = s.find_first_of(separators, pos);
    const size_t end = next == std::string_view::npos ? s.size() : next;
    if (end > pos) {
      out.push_back(s.substr(pos, end - pos));
    }
    pos = end + 1;
  }
  return out;
}

// Reads a whole (small) file. On failure returns nullopt and sets reason.
std::optional<std::string> readFile(const std::string& path, std::string& reason) {
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    reason = "it is a directory";
    return std::nullopt;
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  std::string content;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    content.append(buffer, n);
    if (content.size() > kMaxFileBytes) {
      reason = "larger than 1 MiB";
      return std::nullopt;
    }
  }
  if (std::ferror(file.get()) != 0) {
    reason = "read error";
    return std::nullopt;
  }
  return content;
}

void parseText(std::string_view text, RawConfig& raw, Problems& problems) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {  // a UTF-8 byte order mark from some editors
    text.remove_prefix(3);
  }
  int line_number = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t newline = text.find('\n', pos);
    const size_t end = newline == std::string_view::npos ? text.size() : newline;
    const std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::string where = "line " + std::to_string(line_number);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      problems.addLine(where +
                       ": expected 'key = value' (no '=' found); write settings as "
                       "'key = value' and start comments with '#'");
      continue;
    }
    const std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (key.empty()) {
      problems.addLine(where + ": no key before '='; write settings as 'key = value'");
      continue;
    }
    if (!isKnownKey(splitPrefix(key).second)) {
      // The key is printed (it is not secret); the value never is.
      std::string message = where + ": unknown key '" + std::string(key) + "'";
      if (const auto suggestion = closestKey(splitPrefix(key).second)) {
        message += "; did you mean '" + *suggestion + "'?";
      } else {
        message += "; see latchkey --help for the list of keys";
      }
      problems.addLine(std::move(message));
      continue;
    }
    const std::string key_string(key);
    if (const auto it = raw.find(key_string); it != raw.end() && isRepeatableKey(key)) {
      it->second.value.append(";").append(value);
      continue;
    }
    if (const auto it = raw.find(key_string); it != raw.end()) {
      problems.addLine(where + ": key '" + key_string + "' is already set on line " +
                       std::to_string(it->second.line) + "; keep only one of them");
      continue;
    }
    if (!isSecretKey(key) && (value.find(" #") != std::string_view::npos ||
                              value.find("\t#") != std::string_view::npos)) {
      problems.addLine(where + ": the value of '" + key_string +
                       "' contains ' #'; comments go on their own line, starting with '#'");
      continue;
    }
    raw[key_string] = RawValue{std::string(value), line_number};
  }
}

}  // namespace latchkey::config_detail
