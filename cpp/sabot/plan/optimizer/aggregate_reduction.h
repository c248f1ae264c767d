// Semi-join reduction below a grouped aggregate that a join matches by its group keys.
#pragma once

#include <functional>
#include <vector>

#include "sabot/plan/optimizer/cardinality.h"

namespace sabot {

//! `join`'s rewritten `inputs`, with an input that aggregates (under renames, if any)
//! reduced before it groups: when that input's rows are only kept if they match (an inner
//! join's either input, a semi join's left, the right of any join but right and full),
//! some of the join's keys on it are the aggregate's group keys, and the other input keeps
//! a small part of its table (at most half) and is estimated under a quarter of the
//! aggregate's rows, the aggregate's input is first semi-joined on those group keys with
//! the other input's keys. A group whose key the other input lacks matches nothing, so the
//! answer is the same, and the aggregate groups only the rows that can match (TPC-H Q2
//! takes the minimum cost of ~600 parts, not of 117K). The other input is read twice: a
//! shared subplan, computed once when it joins or filters (runtime/shared_subplans.h).
//! The semi join, once made (with its schema in `facts`), goes through `rewrite` (the
//! optimizer's join rules, which may move it below a join in the aggregate's input).
//! New nodes get their schemas in `facts` (the nodes they stand for have them).
std::vector<PlanPtr> ReduceAggregatesByJoin(const JoinNode& join, std::vector<PlanPtr> inputs, PlanFacts& facts,
                                            CardinalityEstimator& estimates,
                                            const std::function<PlanPtr(PlanPtr join)>& rewrite);

}  // namespace sabot
