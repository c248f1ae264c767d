// Logical plan nodes: what a job computes, independent of threads and machines.
// A plan is an immutable tree (shared subtrees allowed) from sources up to a sink.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sabot/expr/batch_function.h"
#include "sabot/expr/expr.h"
#include "sabot/plan/aggregate_spec.h"
#include "sabot/plan/asof_join_spec.h"
#include "sabot/plan/interval_join_spec.h"
#include "sabot/plan/join_spec.h"
#include "sabot/plan/sort_key.h"
#include "sabot/plan/source_spec.h"
#include "sabot/plan/temporal_join_spec.h"
#include "sabot/plan/window_join_spec.h"
#include "sabot/plan/window_spec.h"

namespace sabot {

// Window and Exchange are planned to slot in as further kinds.
enum class PlanKind : uint8_t {
  kSource, kFilter, kProject, kWithColumns, kRename, kUnion, kLimit, kExplode, kMapBatches,
  kJoin, kAggregate, kWindowAggregate, kSort, kTopK, kDistinct, kSink, kIntervalJoin,
  kAsofJoin, kWindowJoin, kTemporalJoin, kLateRows, kChangelogAggregate, kKeyedProcess,
  kRowsWindow
};
std::string_view ToString(PlanKind kind);

class PlanNode;
using PlanPtr = std::shared_ptr<const PlanNode>;

class PlanNode {
 public:
  virtual ~PlanNode() = default;
  PlanKind kind() const { return kind_; }
  const std::vector<PlanPtr>& inputs() const { return inputs_; }
  const PlanPtr& input() const { return inputs_.front(); }
  //! The node alone, one line: "Filter (a > 1)".
  virtual std::string Describe() const = 0;

 protected:
  PlanNode(PlanKind kind, std::vector<PlanPtr> inputs) : kind_(kind), inputs_(std::move(inputs)) {}

 private:
  PlanKind kind_;
  std::vector<PlanPtr> inputs_;
};

class SourceNode final : public PlanNode {
 public:
  explicit SourceNode(SourceSpec spec) : PlanNode(PlanKind::kSource, {}), spec(std::move(spec)) {}
  std::string Describe() const override;
  const SourceSpec spec;

 private:
  std::string DescribeSource() const;
};

//! Keeps rows where the predicate is true (null counts as false, as in SQL).
class FilterNode final : public PlanNode {
 public:
  FilterNode(PlanPtr input, Expr predicate)
      : PlanNode(PlanKind::kFilter, {std::move(input)}), predicate(std::move(predicate)) {}
  std::string Describe() const override;
  const Expr predicate;
};

//! Outputs exactly these columns, computed from the input.
class ProjectNode final : public PlanNode {
 public:
  ProjectNode(PlanPtr input, std::vector<NamedExpr> columns)
      : PlanNode(PlanKind::kProject, {std::move(input)}), columns(std::move(columns)) {}
  std::string Describe() const override;
  const std::vector<NamedExpr> columns;
};

//! Keeps every input column; a computed column replaces one of the same name in place,
//! or is appended. Expressions see the input columns, not each other.
class WithColumnsNode final : public PlanNode {
 public:
  WithColumnsNode(PlanPtr input, std::vector<NamedExpr> columns)
      : PlanNode(PlanKind::kWithColumns, {std::move(input)}), columns(std::move(columns)) {}
  std::string Describe() const override;
  const std::vector<NamedExpr> columns;
};

class RenameNode final : public PlanNode {
 public:
  RenameNode(PlanPtr input, std::vector<std::pair<std::string, std::string>> renames)
      : PlanNode(PlanKind::kRename, {std::move(input)}), renames(std::move(renames)) {}
  std::string Describe() const override;
  const std::vector<std::pair<std::string, std::string>> renames;  //!< (old, new)
};

//! All rows of all inputs (UNION ALL). Inputs must have the same column names and types.
class UnionNode final : public PlanNode {
 public:
  explicit UnionNode(std::vector<PlanPtr> inputs) : PlanNode(PlanKind::kUnion, std::move(inputs)) {}
  std::string Describe() const override;
};

//! Skips `offset` rows, then passes `count` rows and ends the stream.
class LimitNode final : public PlanNode {
 public:
  LimitNode(PlanPtr input, int64_t count, int64_t offset)
      : PlanNode(PlanKind::kLimit, {std::move(input)}), count(count), offset(offset) {}
  std::string Describe() const override;
  const int64_t count;
  const int64_t offset;
};

//! One output row per element of a list column; rows whose list is empty or null are
//! dropped (as SQL's UNNEST); the other columns repeat.
class ExplodeNode final : public PlanNode {
 public:
  ExplodeNode(PlanPtr input, std::string column)
      : PlanNode(PlanKind::kExplode, {std::move(input)}), column(std::move(column)) {}
  std::string Describe() const override;
  const std::string column;
};

//! Applies a user function to every batch. Not serializable: the function lives in
//! the process that built the plan.
class MapBatchesNode final : public PlanNode {
 public:
  MapBatchesNode(PlanPtr input, std::shared_ptr<BatchFunction> function)
      : PlanNode(PlanKind::kMapBatches, {std::move(input)}), function(std::move(function)) {}
  std::string Describe() const override { return "MapBatches " + function->name(); }
  const std::shared_ptr<BatchFunction> function;
};

//! A hash join: input 0 is the left side, input 1 the right (build) side.
class JoinNode final : public PlanNode {
 public:
  JoinNode(PlanPtr left, PlanPtr right, JoinSpec spec)
      : PlanNode(PlanKind::kJoin, {std::move(left), std::move(right)}), spec(std::move(spec)) {}
  std::string Describe() const override;
  const JoinSpec spec;
};

//! An event-time interval join: input 0 is the left side, input 1 the right; output
//! the left columns then the right ones (suffixed on clash).
class IntervalJoinNode final : public PlanNode {
 public:
  IntervalJoinNode(PlanPtr left, PlanPtr right, IntervalJoinSpec spec)
      : PlanNode(PlanKind::kIntervalJoin, {std::move(left), std::move(right)}), spec(std::move(spec)) {}
  std::string Describe() const override;
  const IntervalJoinSpec spec;
};

//! An event-time as-of join: input 0 is the left side, input 1 the right; output the
//! left columns then the right ones (suffixed on clash).
class AsofJoinNode final : public PlanNode {
 public:
  AsofJoinNode(PlanPtr left, PlanPtr right, AsofJoinSpec spec)
      : PlanNode(PlanKind::kAsofJoin, {std::move(left), std::move(right)}), spec(std::move(spec)) {}
  std::string Describe() const override;
  const AsofJoinSpec spec;
};

//! An event-time window join: input 0 is the left side, input 1 the right; output
//! window_start, window_end, the left columns, the right ones (suffixed on clash).
class WindowJoinNode final : public PlanNode {
 public:
  WindowJoinNode(PlanPtr left, PlanPtr right, WindowJoinSpec spec)
      : PlanNode(PlanKind::kWindowJoin, {std::move(left), std::move(right)}), spec(std::move(spec)) {}
  std::string Describe() const override;
  const WindowJoinSpec spec;
};

//! An event-time temporal join of a stream (input 0) with a versioned table's history
//! (input 1); output the left columns then the right ones (suffixed on clash).
class TemporalJoinNode final : public PlanNode {
 public:
  TemporalJoinNode(PlanPtr left, PlanPtr right, TemporalJoinSpec spec)
      : PlanNode(PlanKind::kTemporalJoin, {std::move(left), std::move(right)}), spec(std::move(spec)) {}
  std::string Describe() const override;
  const TemporalJoinSpec spec;
};

//! GROUP BY `keys` (none: one global group) computing `aggregates`. Output: the keys,
//! then one column per aggregate.
class AggregateNode final : public PlanNode {
 public:
  AggregateNode(PlanPtr input, std::vector<std::string> keys, std::vector<AggregateSpec> aggregates)
      : PlanNode(PlanKind::kAggregate, {std::move(input)}), keys(std::move(keys)), aggregates(std::move(aggregates)) {}
  std::string Describe() const override;
  const std::vector<std::string> keys;
  const std::vector<AggregateSpec> aggregates;
};

//! Aggregates per event-time window (and `keys`), emitting each window when the
//! watermark passes its end. Output: window_start, window_end, the keys, the aggregates.
class WindowAggregateNode final : public PlanNode {
 public:
  WindowAggregateNode(PlanPtr input, WindowSpec window, std::vector<std::string> keys,
                      std::vector<AggregateSpec> aggregates)
      : PlanNode(PlanKind::kWindowAggregate, {std::move(input)}),
        window(std::move(window)),
        keys(std::move(keys)),
        aggregates(std::move(aggregates)) {}
  std::string Describe() const override;
  const WindowSpec window;
  const std::vector<std::string> keys;
  const std::vector<AggregateSpec> aggregates;
};

//! GROUP BY without a window over a stream that may never end: after each input batch it
//! emits what changed in the result as a changelog (an `op` column, then the keys and
//! aggregates; see ChangelogAggregateOperator). With `state_ttl_us` > 0 a key whose
//! newest row (by `time_column`) is older than the watermark minus the TTL is dropped,
//! emitting a delete.
class ChangelogAggregateNode final : public PlanNode {
 public:
  ChangelogAggregateNode(PlanPtr input, std::vector<std::string> keys, std::vector<AggregateSpec> aggregates,
                         int64_t state_ttl_us = 0, std::string time_column = {})
      : PlanNode(PlanKind::kChangelogAggregate, {std::move(input)}),
        keys(std::move(keys)),
        aggregates(std::move(aggregates)),
        state_ttl_us(state_ttl_us),
        time_column(std::move(time_column)) {}
  std::string Describe() const override;
  const std::vector<std::string> keys;
  const std::vector<AggregateSpec> aggregates;
  const int64_t state_ttl_us;
  const std::string time_column;
};

class KeyedProcessFunction;  // ops/keyed_process.h

//! Makes the keyed process function of each operator that runs a KeyedProcessNode.
class KeyedProcessFactory {
 public:
  virtual ~KeyedProcessFactory() = default;
  virtual std::string name() const = 0;
  virtual std::unique_ptr<KeyedProcessFunction> Make() const = 0;
  //! Whether the functions Make() returns may run at once on several threads, each over
  //! its own keys (the keyed exchange). A factory whose functions share something
  //! unsynchronized (one user object behind them all) says no and runs on one thread.
  virtual bool runs_in_parallel() const { return true; }
};

//! Runs user code per key (see KeyedProcessOperator). Not serializable: the code lives
//! in the process that built the plan. `state_ttl_us` > 0: a key's state expires that
//! long (in event time) after its last write (KeyedProcessOptions::state_ttl_us).
class KeyedProcessNode final : public PlanNode {
 public:
  KeyedProcessNode(PlanPtr input, std::vector<std::string> keys, std::shared_ptr<const KeyedProcessFactory> factory,
                   int64_t state_ttl_us = 0)
      : PlanNode(PlanKind::kKeyedProcess, {std::move(input)}),
        keys(std::move(keys)),
        factory(std::move(factory)),
        state_ttl_us(state_ttl_us) {}
  std::string Describe() const override {
    std::string out = "KeyedProcess " + factory->name() + " by " + JoinNames(keys);
    if (state_ttl_us > 0) out += " ttl " + std::to_string(state_ttl_us) + "us";
    return out;
  }
  const std::vector<std::string> keys;
  const std::shared_ptr<const KeyedProcessFactory> factory;
  const int64_t state_ttl_us;
};

//! Per key, aggregates over the key's last `rows` rows up to the current one, one result
//! per input row (SQL's AGG(x) OVER (PARTITION BY keys ROWS BETWEEN rows-1 PRECEDING AND
//! CURRENT ROW), rows in arrival order; see RowsWindowOperator). Output: the input
//! columns, then one per aggregate.
class RowsWindowNode final : public PlanNode {
 public:
  RowsWindowNode(PlanPtr input, std::vector<std::string> keys, int64_t rows, std::vector<AggregateSpec> aggregates)
      : PlanNode(PlanKind::kRowsWindow, {std::move(input)}),
        keys(std::move(keys)),
        rows(rows),
        aggregates(std::move(aggregates)) {}
  std::string Describe() const override;
  const std::vector<std::string> keys;
  const int64_t rows;
  const std::vector<AggregateSpec> aggregates;
};

//! The side output of a window aggregate (its only input): the input rows that arrived
//! after their window's end + allowed lateness, in the window's input schema, instead of
//! the window results.
class LateRowsNode final : public PlanNode {
 public:
  explicit LateRowsNode(PlanPtr window) : PlanNode(PlanKind::kLateRows, {std::move(window)}) {}
  std::string Describe() const override { return "LateRows"; }
};

class SortNode final : public PlanNode {
 public:
  SortNode(PlanPtr input, std::vector<SortKey> keys) : PlanNode(PlanKind::kSort, {std::move(input)}), keys(std::move(keys)) {}
  std::string Describe() const override;
  const std::vector<SortKey> keys;
};

//! ORDER BY keys LIMIT k, in one operator that keeps only k rows; with `per` columns,
//! the best k rows of each group of equal `per` values (ROW_NUMBER() <= k per partition),
//! and with `with_ties` also the rows tied with each group's k-th (RANK() <= k).
class TopKNode final : public PlanNode {
 public:
  TopKNode(PlanPtr input, std::vector<SortKey> keys, int64_t k, std::vector<std::string> per = {},
           bool with_ties = false)
      : PlanNode(PlanKind::kTopK, {std::move(input)}),
        keys(std::move(keys)),
        k(k),
        per(std::move(per)),
        with_ties(with_ties) {}
  std::string Describe() const override;
  const std::vector<SortKey> keys;
  const int64_t k;
  const std::vector<std::string> per;
  const bool with_ties;
};

//! Distinct rows over `columns` (empty: all columns); output has those columns.
class DistinctNode final : public PlanNode {
 public:
  DistinctNode(PlanPtr input, std::vector<std::string> columns)
      : PlanNode(PlanKind::kDistinct, {std::move(input)}), columns(std::move(columns)) {}
  std::string Describe() const override;
  const std::vector<std::string> columns;
};

class SinkNode final : public PlanNode {
 public:
  SinkNode(PlanPtr input, SinkSpec spec) : PlanNode(PlanKind::kSink, {std::move(input)}), spec(std::move(spec)) {}
  std::string Describe() const override;
  const SinkSpec spec;
};

//! A copy of `node` over `inputs` (as many as it has): how rewrites rebuild a plan.
PlanPtr WithInputs(const PlanNode& node, std::vector<PlanPtr> inputs);

//! False when the plan reads an unbounded source that no limit above it cuts short.
bool IsBounded(const PlanNode& node);

//! Whether `node` is a join that runs as a changelog join (ops/changelog_join.h): asked
//! for (spec.changelog or a state TTL), or one whose result a never-ending input would
//! hold back forever: the right (build) side never ends, or the left never ends and
//! unmatched right rows wait for its end. (An endless left over a bounded right is a
//! plain hash join: its output is append-only and only the right side is held.)
bool IsChangelogJoin(const PlanNode& node);

//! The plan as an indented tree, root first, one node a line.
std::string Explain(const PlanNode& root);

}  // namespace sabot
