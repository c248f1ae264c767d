// Filter pushdown: a filter moves below the projections under it, so that it runs on
// fewer columns' worth of computed work and lands on its source, where the Parquet
// source reads the columns it does not test as dictionaries (late materialization).
#pragma once

#include "sabot/plan/plan_node.h"

namespace sabot {

//! `filter`'s predicate pushed as far down as it can go, over `input` (the filter's
//! input, already rewritten): the conjuncts (of a top-level AND) that read no column
//! a WithColumns computes go below it; through a Rename or a Project, the conjuncts
//! whose columns are passed through (perhaps renamed) go below, with the names
//! substituted. What cannot go below stays above, in a filter of its own. Row-wise
//! expressions are all a projection computes, so filtering first changes no row's value.
PlanPtr PushDownFilter(const Expr& predicate, const PlanPtr& input);

}  // namespace sabot
