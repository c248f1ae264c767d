// split_part: a compute function Sabot adds to Arrow's registry (SQL's split_part).
#pragma once

#include "sabot/common/errors.h"

namespace sabot {

//! Adds split_part(string, separator, index) to Arrow's function registry once: the
//! index-th part (1-based, as in SQL) of the string cut at every separator, null when the
//! string has fewer parts (as Flink's SPLIT_INDEX) or is null. Separator and index are
//! constants; split_part(url, "/", 4) of "https://host/a/b" is "a".
Status RegisterSplitPart();

}  // namespace sabot
