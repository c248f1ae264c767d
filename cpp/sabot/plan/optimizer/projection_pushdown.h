// Projection pushdown: file and in-memory sources read only the columns the plan uses.
// A query that names no columns (read_parquet(path).join(...).group_by(...)) otherwise
// decodes every column of the file and carries it through filters and joins, where a
// join copies each column for every match.
#pragma once

#include <map>
#include <memory>

#include <arrow/type_fwd.h>

#include "sabot/plan/plan_node.h"

namespace sabot {

//! `root` with each file or memory source's column list cut to what the plan above it
//! reads (on every path: a source shared by several parents reads their union, and
//! stays shared), and each projection or with_columns cut to the columns used above it
//! (as a projection; not under a union), and each hash join emitting only the columns
//! used above it (JoinSpec::output_columns). The plan's output keeps all its columns.
//! `schemas` gives output schemas by node; a source without one is left alone, as is every source under a step
//! whose use of columns is not known here (user functions, event-time joins, ...).
PlanPtr PushDownProjections(const PlanPtr& root,
                            const std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>& schemas);

}  // namespace sabot
