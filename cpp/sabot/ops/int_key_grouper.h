// IntKeyGrouper: maps one integer-like key column to dense group ids with an
// open-addressing table of raw 64-bit keys. Arrow's general Grouper encodes keys into
// rows first; for the most common GROUP BY (one integer key) that encoding is most of
// the cost, so hash aggregation takes this path when it can.
#pragma once

#include <memory>

#include <arrow/compute/row/grouper.h>

#include "sabot/common/errors.h"

namespace sabot {

//! True for the key types IntKeyGrouper takes: signed integers, dates, timestamps.
bool IsIntKeyGroupable(const arrow::DataType& type);

//! A Grouper (same contract as Arrow's) for one key column of such a type. Null keys
//! form one group of their own, as in SQL.
Result<std::unique_ptr<arrow::compute::Grouper>> MakeIntKeyGrouper(std::shared_ptr<arrow::DataType> key_type);

}  // namespace sabot
