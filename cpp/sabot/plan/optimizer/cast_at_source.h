// Casts at the source: a decimal column cast to float64 right above its Parquet source
// is read as float64 by the source (SourceSpec::read_as) instead of cast after reading.
#pragma once

#include <map>
#include <memory>

#include <arrow/type_fwd.h>

#include "sabot/plan/plan_node.h"

namespace sabot {

//! `with_columns` over `input` (its input, already rewritten) with each column
//! `c := cast(c, float64)` of a decimal column `c` moved into the Parquet source below as
//! a read_as request, where `input` is that source or filters over it that do not read
//! `c`, and no other expression of `with_columns` reads `c` (they would see the float64).
//! The source then decodes the stored integers straight into the doubles the cast gives
//! (sabot_decimal_to_float64), never making the 16-byte decimals. The WithColumns keeps
//! its other columns and goes when none is left; the plan's schema stays the same.
//! `schemas` holds the output schema of source nodes (PlanFacts::schemas); a source
//! without one, or not a Parquet file, keeps the plan as it is.
PlanPtr ReadCastsAtSource(const WithColumnsNode& with_columns, const PlanPtr& input,
                          const std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>& schemas);

}  // namespace sabot
