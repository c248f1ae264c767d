// The order of a semi or anti join and an inner join over its output.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "sabot/plan/optimizer/cardinality.h"

namespace sabot {

//! Builds a join over rewritten inputs (the optimizer's build-side choice).
using JoinBuilder = std::function<PlanPtr(const JoinNode& join, std::vector<PlanPtr> inputs)>;

//! `join`, an inner join whose rewritten left input is a semi or anti join F(X, S) without
//! residual, as F(join(X, right), S) when the inner join keeps a clearly smaller part of
//! X's rows (estimated; half or less) than F does: F tests only X's columns, which the
//! inner join passes on under their names, so each row meets the same test after it, and
//! F probes only the rows the inner join kept (TPC-H Q16 probed all 800K partsupp rows for
//! 4 complaining suppliers before the part filter kept 15%). The inner join is made by
//! `build` (it may swap or reduce its sides); both new joins get the old join's schema in
//! `facts`. F may be a right semi or anti join F(S, X) as well (X its right input): then
//! F(S, join(X, right)). nullopt when the rule does not apply. The caller leaves a semi or anti join
//! that other nodes read as well where it is (moved, it would be computed twice).
std::optional<PlanPtr> InnerJoinBelowFilteringJoin(const JoinNode& join, const std::vector<PlanPtr>& inputs,
                                                   PlanFacts& facts, CardinalityEstimator& estimates,
                                                   const JoinBuilder& build);

}  // namespace sabot
