// Filter pushdown into joins: a filter over a join tests what it can on the join's
// inputs, before the hash table is built and probed.
#pragma once

#include <optional>

#include <arrow/type_fwd.h>

#include "sabot/plan/plan_node.h"

namespace sabot {

//! Where a filter over a join goes: filters over the join's inputs and what stays above.
struct JoinFilterPushdown {
  PlanPtr join;               //!< the join over its inputs with their filters
  std::optional<Expr> above;  //!< the conjuncts that stay over the join
};

//! `filter` (over `join`, whose inputs have the schemas `left` and `right`) split over
//! the join's inputs; nullopt when nothing moves.
//! - A conjunct that reads only the left input's columns moves to the left input (any
//!   join but right and full, whose unmatched right rows have null left columns); one
//!   that reads only right columns whose names the left does not have (so they kept
//!   them) moves to the right input of an inner join. Right semi and right anti joins
//!   output the right columns only: every conjunct over them moves to the right input.
//! - A conjunct that is an OR of ANDs stays, but where every one of its ANDs tests one
//!   input's columns, the OR of those tests is added to that input: a pair the OR
//!   keeps passes one of its ANDs, so its input rows pass that AND's tests (TPC-H Q19's
//!   three brand, container and size combinations cut 200K parts to a few hundred
//!   before the join, and its quantity ranges the lineitems).
std::optional<JoinFilterPushdown> PushFilterIntoJoin(const FilterNode& filter, const JoinNode& join,
                                                     const arrow::Schema& left, const arrow::Schema& right);

}  // namespace sabot
