// The logical optimizer: rewrites a plan before it is lowered (RunPlan, RunningPlan,
// ExplainPlan), rule by rule; each rule lives in a file of its own in this folder.
#pragma once

#include "sabot/plan/optimizer/cardinality.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

//! `root` rewritten by every rule: the same rows (in the same order where the plan
//! defines one), computed with less work. The result is a new plan; subtrees `root`
//! shares stay shared. A copy of `root` when no rule applies.
//! With `facts` (schemas and source sizes of `root`, see GatherPlanFacts in runtime/)
//! the rules that need types or sizes run too: the build side of hash joins
//! (join_build_side.h), and decimal casts read at their Parquet source (cast_at_source.h).
PlanPtr OptimizePlan(const PlanNode& root, const PlanFacts* facts = nullptr);

}  // namespace sabot
