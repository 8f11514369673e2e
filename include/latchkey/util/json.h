// Checked access to RapidJSON values: every read checks the type, so hostile JSON can
// never reach RAPIDJSON_ASSERT.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "latchkey/util/result.h"

namespace latchkey::json {

// Parses text that must be a JSON object. kProviderBadResponse-style callers map the error.
// Rejects nesting deeper than 64, anything that is not an object at the top, raw NUL bytes
// (RapidJSON would stop reading there), invalid UTF-8 in strings, trailing garbage, and
// duplicate member names at any level (RFC 7515 §4: parsers disagree on which one wins).
// On failure `out` is null. Parsing is iterative, so no input can exhaust the stack.
bool parseObject(std::string_view text, rapidjson::Document& out);

// All getters return nothing (never assert) when `object` is not an object, the member is
// missing or has another type. Strings may contain NUL (from \u0000): use the view's size.
std::optional<std::string_view> getString(const rapidjson::Value& object, const char* name);
// Integers written as integers that fit int64 only: 1.5, 1.0 and 1e3 give nothing.
std::optional<int64_t> getInt(const rapidjson::Value& object, const char* name);
std::optional<bool> getBool(const rapidjson::Value& object, const char* name);
const rapidjson::Value* getObject(const rapidjson::Value& object, const char* name);
const rapidjson::Value* getArray(const rapidjson::Value& object, const char* name);

}  // namespace latchkey::json
