// A grouped aggregate over a join, split in two: the rows of the join's many side are
// aggregated per join key below the join, the partial results above it.
#pragma once

#include <optional>

#include "sabot/plan/optimizer/cardinality.h"
#include "sabot/plan/optimizer/filtering_join_order.h"

namespace sabot {

//! `aggregate` (as written) over `input`, its rewritten input, as a partial aggregate
//! below the join and a final one above, where `input` is an inner, left or right join
//! on one key pair without residual between a side P and a side M whose rows outnumber
//! P's at least four to one (estimated); `aggregate` groups by P's join key alone; and
//! each of its aggregates is a count, sum, min or max of a column of M. Then M is first
//! grouped by its join key, the aggregates taken per key (a count as a count), the join
//! meets one row per key instead of every row of M, and the final aggregate combines
//! the partial results of each P key (counts and sums by summing, min and max as they
//! are): a P row with d copies of its key meets the key's one partial row d times, as it
//! met each of M's rows d times. Where P keeps unmatched rows (a left join from P), a
//! count with no partial row is 0, not null. TPC-H Q13 counts the orders of 1.5M
//! customers: the join probed all 15M orders, then the aggregate grouped them again;
//! now the orders are counted per customer once and the join meets 1M counts.
//!
//! The new nodes get their schemas in `facts`; the new join is made by `build` (which
//! may swap its sides). nullopt when the rule does not apply, or a schema or an estimate
//! is unknown, or the partial results' names clash with P's columns.
std::optional<PlanPtr> AggregateBelowJoin(const AggregateNode& aggregate, const PlanPtr& input, PlanFacts& facts,
                                          CardinalityEstimator& estimates, const JoinBuilder& build);

}  // namespace sabot
