// Checked access to RapidJSON values: every read checks the type, so hostile JSON can
// never reach RAPIDJSON_ASSERT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "latchkey/result.h"

namespace latchkey::json {

// Parses text that must be a JSON object. kProviderBadResponse-style callers map the error.
// Rejects nesting deeper than 64 and anything that is not an object at the top.
bool parseObject(std::string_view text, rapidjson::Document& out);

std::optional<std::string_view> getString(const rapidjson::Value& object, const char* name);
std::optional<int64_t> getInt(const rapidjson::Value& object, const char* name);  // integral numbers only
std::optional<bool> getBool(const rapidjson::Value& object, const char* name);
const rapidjson::Value* getObject(const rapidjson::Value& object, const char* name);
const rapidjson::Value* getArray(const rapidjson::Value& object, const char* name);

}  // namespace latchkey::json
