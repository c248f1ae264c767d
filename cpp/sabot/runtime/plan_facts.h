// What the optimizer's cost-based rules learn about a plan before it runs.
#pragma once

#include "sabot/common/errors.h"
#include "sabot/plan/optimizer/cardinality.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

//! The schemas of `root`'s nodes and the row counts of its Parquet files (from their
//! footers), found by lowering the plan once without running it. `root` may end in a
//! sink or not. Only bounded plans with a hash join need them all; others get what their
//! Parquet sources read natively when they cast a column (cast_at_source.h), else empty
//! facts, and so does a plan that fails to lower (running it reports the error).
PlanFacts GatherPlanFacts(const PlanNode& root);

//! OptimizePlan with the facts GatherPlanFacts finds: what RunPlan, RunningPlan and
//! ExplainPlan run.
PlanPtr OptimizeWithFacts(const PlanNode& root);

}  // namespace sabot
