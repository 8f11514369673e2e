// The real clock; everything else takes a Clock& so tests can move time.
#include "latchkey/util/clock.h"

#include <chrono>

namespace latchkey {

int64_t SystemClock::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace latchkey
