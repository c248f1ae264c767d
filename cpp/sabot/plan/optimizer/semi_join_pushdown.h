// Semi and anti joins below the columns their left input computes: they only drop left
// rows, so the columns are computed on the rows they keep.
#pragma once

#include <vector>

#include "sabot/plan/plan_node.h"

namespace sabot {

//! The WithColumns nodes directly over `join`'s left input (`inputs[0]`, rewritten) that
//! a semi or anti join can go below: it reads none of the columns they compute (in its
//! keys; a join with a residual is left alone, since the residual's names depend on
//! both sides' columns). Taken off `inputs[0]`, outermost first; empty when none can
//! move. The caller builds the join over the shortened input and puts them back on top
//! with ReapplyColumns: the same rows and columns, and TPC-H Q9's decimal casts of 6M
//! lineitems are computed for the 320K its semi join keeps.
std::vector<PlanPtr> TakeColumnsAboveSemiJoin(const JoinNode& join, std::vector<PlanPtr>& inputs);

//! `plan` under the WithColumns nodes TakeColumnsAboveSemiJoin took, in their order.
PlanPtr ReapplyColumns(PlanPtr plan, const std::vector<PlanPtr>& taken);

}  // namespace sabot
