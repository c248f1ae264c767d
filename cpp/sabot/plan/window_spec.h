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
  };
  Kind kind = Kind::kTumbling;
  std::string time_column;  //!< a timestamp column (any unit)
  int64_t size_us = 0;      //!< window length; windows are [start, start + size)
  int64_t slide_us = 0;     //!< distance between window starts; = size_us for tumbling
  //! How long after its end (in watermark time) a window still takes late rows.
  int64_t allowed_lateness_us = 0;
  //! kSession: the inactivity gap that closes a session; unused by the other kinds.
  int64_t gap_us = 0;
};

}  // namespace sabot
