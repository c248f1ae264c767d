// The logical optimizer: rewrites a plan before it is lowered (RunPlan, RunningPlan,
// ExplainPlan), rule by rule; each rule lives in a file of its own in this folder.
#pragma once

#include "sabot/plan/plan_node.h"

namespace sabot {

//! `root` rewritten by every rule: the same rows (in the same order where the plan
//! defines one), computed with less work. The result is a new plan; subtrees `root`
//! shares stay shared. A copy of `root` when no rule applies.
PlanPtr OptimizePlan(const PlanNode& root);

}  // namespace sabot
