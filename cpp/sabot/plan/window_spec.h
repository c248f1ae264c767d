// WindowSpec: the plain-data description of an event-time window (tumbling, sliding or
// session) over a timestamp column.
#pragma once

#include <cstdint>
#include <string>

namespace sabot {

struct WindowSpec {
  enum class Kind : uint8_t {
    kTumbling,  //!< fixed, non-overlapping windows; slide_us == size_us
    kSliding,   //!< fixed windows every slide_us; a row falls into about size/slide windows
    kSession,   //!< per key, rows less than gap_us apart; ends gap_us after its last row
    kGlobal,    //!< one window per key over all time, emitted at the end of input
  };
  Kind kind = Kind::kTumbling;
  std::string time_column;  //!< a timestamp column (any unit)
  int64_t size_us = 0;      //!< window length; windows are [start, start + size)
  int64_t slide_us = 0;     //!< distance between window starts; = size_us for tumbling
  //! How long after its end (in watermark time) a window still takes late rows.
  int64_t allowed_lateness_us = 0;
  //! kSession: the inactivity gap that closes a session; unused by the other kinds.
  int64_t gap_us = 0;
  //! kGlobal: also emit a key's result so far each time it took this many more rows
  //! (0: never), as a count trigger.
  int64_t trigger_count = 0;
  //! kGlobal: also emit every key's result so far (those that changed) each time this
  //! much processing time passed, checked as input arrives (0: never).
  int64_t trigger_interval_us = 0;
};

}  // namespace sabot
