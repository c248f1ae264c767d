// The order of an inner join that looks rows up (each row finds its one match, as
// customer JOIN nation) and a reducing join (inner, semi or anti) over its output.
#pragma once

#include <optional>
#include <vector>

#include "sabot/plan/optimizer/cardinality.h"
#include "sabot/plan/optimizer/filtering_join_order.h"

namespace sabot {

//! `join`, an inner, semi or anti join without residual whose rewritten left input is an
//! inner join L(A, B) without residual, and whose left keys are all columns of A, as
//! project(L(join(A, C), B)) when the estimates say `join` keeps a clearly smaller part
//! of its input (half or less) than L keeps of A: then L gathers B's columns for the few
//! rows `join` keeps instead of for all of A (TPC-H Q10 joined all 150K customers to their
//! nation's name, then kept the 38K with returned items), and a semi join right over a
//! scan of A tests its keys in the scan (Q2's cheapest price looked up the suppliers of
//! all 8M offers before the semi join kept those of its 6K parts). Inner joins commute:
//! every output row is the same combination of an A, a B and a C row with equal keys,
//! and L's keys (A's columns) pass through `join` under their names; a semi or anti join
//! keeps or drops a row of L by its A columns alone, so it keeps the same A rows before
//! L. The projection restores the column order A, B(, C). `join(A, C)` and L are made by
//! `build` (which may swap or reduce their sides); each new node gets its schema in
//! `facts`. nullopt when the rule does not apply: a column name on two of A, B and an
//! inner join's C (a suffix would move), or unknown schemas or estimates. The caller
//! leaves an L that other nodes read as well where it is.
std::optional<PlanPtr> ReducingJoinBelowLookupJoin(const JoinNode& join, const std::vector<PlanPtr>& inputs,
                                                   PlanFacts& facts, CardinalityEstimator& estimates,
                                                   const JoinBuilder& build);

}  // namespace sabot
