#pragma once

#include <string>
#include <string_view>

namespace latchkey {

// Full text of a built-in page template: "signed_out.html", "signed_in.html", "error.html".
std::string builtinTemplate(std::string_view name);

}  // namespace latchkey
