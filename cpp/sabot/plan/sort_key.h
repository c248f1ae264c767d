// SortKey: one ORDER BY term, as plans carry it.
#pragma once

#include <string>

namespace sabot {

//! One ORDER BY term. The default is DuckDB's: ASC, NULLS LAST. Null placement is per key
//! and independent of the direction; NaN is greater than every other float (so it comes
//! last ascending, first descending), while NULLs still go where nulls_first says.
struct SortKey {
  std::string column;
  bool ascending = true;
  bool nulls_first = false;
};

}  // namespace sabot
