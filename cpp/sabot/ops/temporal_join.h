// Temporal join: a stream against a versioned table, run by the as-of join over the
// table's history (the version valid at a time is the latest one at or before it).
#pragma once

#include <memory>

#include <arrow/type_fwd.h>

#include "sabot/exec/operator.h"
#include "sabot/plan/temporal_join_spec.h"

namespace sabot {

//! An AsofJoinOperator named "TemporalJoin" without tolerance whose right rows may be
//! changelog deletes (see TemporalJoinSpec). Versions older than the newest one at or
//! before the oldest time a waiting or later left row can have are released, as are all
//! once the left input ended.
//!
//! Errors: those of MakeAsofJoin, and an op column that is missing or not a string.
Result<std::unique_ptr<Operator>> MakeTemporalJoin(const std::shared_ptr<arrow::Schema>& left,
                                                   const std::shared_ptr<arrow::Schema>& right,
                                                   const TemporalJoinSpec& spec);

}  // namespace sabot
