#include "common/clock.h"

namespace ckron {

SystemClock& SystemClock::Get() {
  static SystemClock* clock = new SystemClock();  // never destroyed
  return *clock;
}

}  // namespace ckron
