// Checked JSON access. RapidJSON asserts (abort or UB) on wrong-type access, so every read of
// untrusted JSON goes through these helpers.
#include "latchkey/util/json.h"

#include <algorithm>
#include <vector>

namespace latchkey::json {
namespace {

constexpr int kMaxDepth = 64;

// Rejects raw NUL bytes (RapidJSON's MemoryStream reports end-of-input as '\0', so
// `{"a":1}\0junk` would otherwise be accepted as `{"a":1}`) and nesting deeper than kMaxDepth.
// The scan tracks strings exactly as the grammar does, so on every prefix RapidJSON accepts,
// the depth counted here is the parser's depth.
bool preScanOk(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (c == '\0') {
      return false;
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) {
        return false;
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// RFC 7515 §4 / RFC 8259 §4: with duplicate member names, parsers disagree on which one wins
// (RapidJSON's FindMember returns the first, many others the last). A signed header or
// payload must mean one thing to everybody, so duplicates anywhere reject the document.
bool hasDuplicateNames(const rapidjson::Value& value) {
  if (value.IsArray()) {
    for (const auto& item : value.GetArray()) {
      if (hasDuplicateNames(item)) {
        return true;
      }
    }
    return false;
  }
  if (!value.IsObject()) {
    return false;
  }
  std::vector<std::string_view> names;
  names.reserve(value.MemberCount());
  for (const auto& member : value.GetObject()) {
    names.emplace_back(member.name.GetString(), member.name.GetStringLength());
    if (hasDuplicateNames(member.value)) {
      return true;
    }
  }
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

const rapidjson::Value* findMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) {
    return nullptr;
  }
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) {
    return nullptr;
  }
  return &it->value;
}

}  // namespace

bool parseObject(std::string_view text, rapidjson::Document& out) {
  if (!preScanOk(text)) {
    out.SetNull();
    return false;
  }
  // Iterative parsing keeps the C++ stack flat even if the depth guard were ever bypassed;
  // encoding validation keeps invalid UTF-8 out of names and e-mails shown on pages.
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  out.Parse<kFlags>(text.data(), text.size());
  if (out.HasParseError() || !out.IsObject() || hasDuplicateNames(out)) {
    out.SetNull();
    return false;
  }
  return true;
}

std::optional<std::string_view> getString(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = findMember(object, name);
  if (v == nullptr || !v->IsString()) {
    return std::nullopt;
  }
  return std::string_view(v->GetString(), v->GetStringLength());
}

// Only numbers written as integers that fit int64: RapidJSON marks 1.5, 1e3 and 1.0 as
// doubles, so they are refused (IsInt64 is false), as are integers beyond int64.
std::optional<int64_t> getInt(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = findMember(object, name);
  if (v == nullptr || !v->IsInt64()) {
    return std::nullopt;
  }
  return v->GetInt64();
}

std::optional<bool> getBool(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = findMember(object, name);
  if (v == nullptr || !v->IsBool()) {
    return std::nullopt;
  }
  return v->GetBool();
}

const rapidjson::Value* getObject(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = findMember(object, name);
  return (v != nullptr && v->IsObject()) ? v : nullptr;
}

const rapidjson::Value* getArray(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = findMember(object, name);
  return (v != nullptr && v->IsArray()) ? v : nullptr;
}

}  // namespace latchkey::json
