// The "rd" check: where to land after sign-in. Only a local path is honoured; anything that
// a browser could read as another host or a script falls back to "/" (RFC 9700 §4.11:
// open redirectors).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/app.h"
#include "latchkey/encoding.h"

namespace latchkey {
namespace {

constexpr size_t kMaxReturnPathBytes = 2048;

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// A local path starts with exactly one '/' and never with "/\" (browsers treat '\' as '/'),
// and holds no control characters (CR/LF would split the Location header; TAB and NUL are
// stripped by browsers, turning "/\t/evil" into "//evil").
bool looksLocal(std::string_view path) {
  if (path.empty() || path[0] != '/') {
    return false;
  }
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) {
    return false;
  }
  for (unsigned char c : path) {
    if (isControl(c) || c == '\\') {
      return false;
    }
  }
  return true;
}

// "." or ".." as a path segment, also percent-encoded (%2e): whatever decodes the path later
// would see them as dot segments too.
enum class DotSegment { kNone, kCurrent, kParent };
DotSegment dotSegment(std::string_view segment) {
  std::string dots;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '.') {
      dots += '.';
    } else if (segment[i] == '%' && i + 2 < segment.size() && segment[i + 1] == '2' &&
               (segment[i + 2] == 'e' || segment[i + 2] == 'E')) {
      dots += '.';
      i += 2;
    } else {
      return DotSegment::kNone;
    }
  }
  if (dots == ".") {
    return DotSegment::kCurrent;
  }
  return dots == ".." ? DotSegment::kParent : DotSegment::kNone;
}

// RFC 3986 §5.2.4 remove_dot_segments on the path part (up to '?' or '#') of an absolute
// path, so "/..//evil.example" is judged as the "//evil.example" a browser resolves it to.
std::string withoutDotSegments(std::string_view target) {
  const size_t path_end = std::min(target.find_first_of("?#"), target.size());
  const std::string_view path = target.substr(0, path_end);
  if (path.empty() || path[0] != '/') {
    return std::string(target);
  }
  std::vector<std::string_view> kept;
  size_t pos = 1;
  while (true) {
    const size_t slash = std::min(path.find('/', pos), path.size());
    const std::string_view segment = path.substr(pos, slash - pos);
    const bool last = slash == path.size();
    const DotSegment dot = dotSegment(segment);
    if (dot == DotSegment::kParent && !kept.empty()) {
      kept.pop_back();
    }
    if (dot == DotSegment::kNone) {
      kept.push_back(segment);
    } else if (last) {
      kept.emplace_back();  // "/a/b/.." is "/a/", with its trailing slash
    }
    if (last) {
      break;
    }
    pos = slash + 1;
  }
  std::string out;
  for (const std::string_view segment : kept) {
    out.append("/").append(segment);
  }
  return out.append(target.substr(path_end));
}

}  // namespace

std::string safeReturnPath(std::string_view raw_rd) {
  if (raw_rd.size() > kMaxReturnPathBytes || !looksLocal(raw_rd)) {
    return "/";
  }
  // Dot segments first: the check is on the path the browser will actually request.
  const std::string rd = withoutDotSegments(raw_rd);
  if (!looksLocal(rd)) {
    return "/";
  }
  // Encoded forms ("/%2F%2Fevil", "/%5Cevil", "%0d%0a") must pass the same test once
  // decoded (and their dot segments removed), for whatever sits behind us that decodes again.
  std::string current(rd);
  for (int round = 0; round < 3 && current.find('%') != std::string::npos; ++round) {
    auto decoded = percentDecode(current, false);
    if (!decoded || !looksLocal(*decoded) || !looksLocal(withoutDotSegments(*decoded))) {
      return "/";
    }
    current = std::move(*decoded);
  }
  // Keep the header ASCII: escape what a URL may not carry raw.
  std::string out;
  out.reserve(rd.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : rd) {
    if (c > 0x7e || c == ' ' || c == '"' || c == '<' || c == '>') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace latchkey
