// Late decoding of group keys across joins: which aggregates group keys that come, through
// joins, from dictionary-encoded Parquet columns, and which scans leave them encoded.
#pragma once

#include "sabot/runtime/physical_planner.h"

namespace sabot {

//! Records in `done` (LowerOptions::scans_leaving_keys_encoded and
//! aggregates_decoding_joined_keys) every bounded aggregate of `body` whose group keys all
//! come unchanged, through projections and the probe or build side of at least one join
//! that builds first (CanBuildFirst), from filters right over Parquet sources that read
//! them as dictionaries, or from Parquet sources that store them with small dictionaries
//! (or as small integers), in a combination DictKeyGrouper takes.
//! Such keys then stay encoded up to the aggregate: a join gathers their int32 indices
//! instead of copying strings per match, and the aggregate groups by dictionary entry
//! instead of hashing each row's string (the scaling benchmark's join: 3.1M order
//! priorities gathered from the 780K-row build side, then grouped into 5 groups).
//! The joins' build sides must not have run yet: they read the filters under them.
//! A key an accumulator reads, a key column of a join or of its residual, a renamed or
//! computed key, and a node several parents read (lowered once per parent) end the walk,
//! and the aggregate is left as it is. `lowered`: `body` lowered without the joins built
//! (its schemas name each join side's columns; its sources tell how they are read).
void PlanKeysEncodedAcrossJoins(const PlanNode& body, const LoweredPlan& lowered, LowerOptions* done);

}  // namespace sabot
