// Time as a dependency, so tests can move it.
#pragma once

#include <cstdint>

namespace latchkey {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now() const = 0;  // seconds since the epoch
};

class SystemClock final : public Clock {
 public:
  int64_t now() const override;
};

}  // namespace latchkey
