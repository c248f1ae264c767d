// Build-side choice for hash joins: the hash table should hold the smaller input.
#pragma once

#include <vector>

#include "sabot/plan/optimizer/cardinality.h"

namespace sabot {

//! `join` (a node of the plan as written) over its rewritten `inputs`, with the smaller
//! side built where the estimates say the written right side is the larger one:
//! - an inner join swaps its inputs (right estimated above twice the left) and restores
//!   the column order with a projection; skipped when a column name is on both sides,
//!   since the suffix would move to the other side's column. A left join over bounded
//!   inputs swaps likewise into a right join, which emits the unmatched rows of the small
//!   side at the end (TPC-H Q13 built 1.5M orders to probe 150K customers; right joins
//!   probe in parallel as well, see MakeHashJoinProbe);
//! - a semi or anti join over bounded inputs whose right side is estimated above twice
//!   its left becomes a right semi or right anti join with the inputs swapped: the hash
//!   table holds the rows to keep or drop, and the large side is read once to mark them
//!   (TPC-H Q21 built 7.3M orders at SF10 to probe 734K lineitems; reducing the orders
//!   first read the lineitems twice). Its output is the written left input's columns,
//!   names and order. With a residual, only where no column name is on both sides (the
//!   residual names a suffixed column of the written right side);
//! - otherwise, when the left keeps a small part of its table (at most half) and the
//!   right is estimated above four times the left, the right input is reduced first to
//!   the rows whose keys the left has (a semi join building on the left's keys). For
//!   joins that never emit unmatched right rows (inner, left, semi, anti) a right row
//!   without an equal left key matches nothing, so the answer is the same; the hash
//!   table holds only the rows that can match (TPC-H Q21 built 6M lineitems to probe
//!   ~20K). The left input is read twice; a parallel run computes it once when it
//!   joins or aggregates (shared subplans are materialized).
//! Joins whose sizes are unknown stay as written, and so do right semi and right anti
//! joins.
PlanPtr ChooseBuildSide(const JoinNode& join, std::vector<PlanPtr> inputs, const PlanFacts& facts,
                        CardinalityEstimator& estimates);

}  // namespace sabot
