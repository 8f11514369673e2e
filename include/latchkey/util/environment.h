// The process environment as a name -> value map, read in one place, so that everything
// else (configuration overrides, the CGI meta-variables) takes a map that tests can build.
#pragma once

#include <map>
#include <string>

namespace latchkey {

using Environment = std::map<std::string, std::string>;

Environment processEnvironment();

}  // namespace latchkey
