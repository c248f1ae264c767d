// Casts at the source: a decimal column cast to float64 right above its Parquet source
// is read as float64 by the source (SourceSpec::read_as) instead of cast after reading.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/plan/plan_node.h"

namespace sabot {

//! `with_columns` over `input` (its input, already rewritten) with each column
//! `c := cast(c, T)` that the source below reads natively as T (`read_types`, by source
//! node: Source::NativeReadTypes, such as a Parquet decimal stored as an integer read as
//! float64) moved into the source as a read_as request, where `input` is that source or
//! filters over it that do not read `c`, and no other expression of `with_columns` reads
//! `c` (they would see the converted values). The Parquet source then decodes the stored
//! integers straight into the doubles the cast gives (sabot_decimal_to_float64), never
//! making the 16-byte decimals. The WithColumns keeps its other columns and goes when
//! none is left; the plan's columns keep their names, order and types.
PlanPtr ReadCastsAtSource(const WithColumnsNode& with_columns, const PlanPtr& input,
                          const std::map<const PlanNode*, std::vector<std::shared_ptr<arrow::Field>>>& read_types);

}  // namespace sabot
