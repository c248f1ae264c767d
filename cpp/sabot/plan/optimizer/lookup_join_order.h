// The order of an inner join that looks rows up (each row finds its one match, as
// customer JOIN nation) and a reducing inner join over its output.
#pragma once

#include <optional>
#include <vector>

#include "sabot/plan/optimizer/cardinality.h"
#include "sabot/plan/optimizer/filtering_join_order.h"

namespace sabot {

//! `join`, an inner join without residual whose rewritten left input is an inner join
//! L(A, B) without residual, and whose left keys are all columns of A, as
//! project(L(join(A, C), B)) when the estimates say `join` keeps a clearly smaller part
//! of its input (half or less) than L keeps of A: then L gathers B's columns for the few
//! rows `join` keeps instead of for all of A (TPC-H Q10 joined all 150K customers to their
//! nation's name, then kept the 38K with returned items). Inner joins commute: every
//! output row is the same combination of an A, a B and a C row with equal keys, and
//! L's keys (A's columns) pass through `join` under their names. The projection restores
//! the column order A, B, C. `join(A, C)` and L are made by `build` (which may swap or
//! reduce their sides); each new node gets its schema in `facts`. nullopt when the rule
//! does not apply: a column name on two of A, B and C (a suffix would move), or unknown
//! schemas or estimates. The caller leaves an L that other nodes read as well where it is.
std::optional<PlanPtr> ReducingJoinBelowLookupJoin(const JoinNode& join, const std::vector<PlanPtr>& inputs,
                                                   PlanFacts& facts, CardinalityEstimator& estimates,
                                                   const JoinBuilder& build);

}  // namespace sabot
