// Semi-join reduction of the build sides below a join by what the join itself keeps.
#pragma once

#include <functional>
#include <vector>

#include "sabot/plan/optimizer/cardinality.h"

namespace sabot {

//! `join`'s rewritten `inputs`, with each build side below its left input that produces
//! one of its left keys reduced first to the rows whose key the join's right input has.
//!
//! An inner or semi join keeps a left row only where its key `a` equals some right key
//! `b`. Where `a` comes, under its name, from the right (build) input B of an inner join
//! below (through filters, projections that pass it on, and the left inputs of inner,
//! semi and left joins, which keep `a`'s value in the rows they emit), a row of B whose
//! `a` the right input lacks makes only rows that the join drops; so B semi-joined on
//! `a` = `b` gives the same answer. This is how `c_nationkey = s_nationkey` over ASIA's
//! suppliers (TPC-H Q5) cuts the customers before they meet 910K orders' lineitems,
//! instead of after. The join below then keeps fewer rows too, and is reduced in turn:
//! its build side's keys reduce the build sides under its own left input (Q5's orders
//! by the ASIA customers), which is how equal keys pass a filter along a chain of joins.
//!
//! As for the other reductions (aggregate_reduction.h): only where the right input keeps
//! a small part of its table (at most half) and B is estimated above four times its
//! rows. Subplans that `shared` says other nodes read too, and nodes read twice under
//! `join`, are left as they are (reduced they would be computed twice). The right input
//! is read again by each reduction: a shared subplan, computed once where it joins.
//! New nodes get their schemas in `facts` and are kept alive in `made` (the estimates
//! remember them by address).
std::vector<PlanPtr> ReduceBuildSidesByKeys(const JoinNode& join, std::vector<PlanPtr> inputs, PlanFacts& facts,
                                            CardinalityEstimator& estimates,
                                            const std::function<bool(const PlanNode&)>& shared,
                                            std::vector<PlanPtr>& made);

}  // namespace sabot
