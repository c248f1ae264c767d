// Hash aggregation (GROUP BY): key columns map to dense group ids with Arrow's
// vectorized Grouper; per-aggregate accumulators fold whole batches into those groups.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/exec/memory_budget.h"
#include "sabot/exec/operator.h"
#include "sabot/ops/aggregate_accumulator.h"
#include "sabot/plan/aggregate_spec.h"

namespace arrow::compute {
class Grouper;
struct ExecBatch;
}  // namespace arrow::compute

namespace sabot {

//! The largest batch the aggregate emits.
inline constexpr int64_t kMaxAggregateOutputRows = 64 * 1024;

//! One partial aggregate: the group table plus one accumulator per aggregate. In a
//! parallel pipeline each worker thread owns one (MakeEmpty) and the executor merges
//! them at finalize (Merge); single-threaded execution uses one and never merges yet.
class HashAggregateState {
 public:
  //! Resolves the columns and checks every aggregate against its input type; errors
  //! name the column or aggregate at fault. `decode_dictionary_keys`: dictionary keys
  //! are output (and saved, merged, split) as their value type, as if decoded before
  //! grouping; every key must then be one DictKeyGrouper takes (see IsDictKeyGroupable).
  static Result<std::unique_ptr<HashAggregateState>> Make(const std::shared_ptr<arrow::Schema>& input,
                                                          const std::vector<std::string>& keys,
                                                          const std::vector<AggregateSpec>& aggregates,
                                                          bool decode_dictionary_keys = false);
  ~HashAggregateState();

  //! An empty state of the same layout, e.g. for another worker thread.
  Result<std::unique_ptr<HashAggregateState>> MakeEmpty() const;

  //! Folds a batch of the input schema into the groups; `group_ids`, when given, receives
  //! each row's group id.
  Status Consume(const arrow::RecordBatch& batch, std::vector<uint32_t>* group_ids = nullptr);

  //! Folds `other` (same layout; its input comes after this one's, which first/last
  //! rely on) into this. Groups new to this state are numbered after its own. `other`
  //! is spent.
  Status Merge(HashAggregateState& other);

  //! Whether SplitByKeyHash can split this state: it has keys, all of join key types.
  bool CanSplitByKeyHash() const;

  //! Moves the groups into `parts` (1..256) states of the same layout by a hash of their
  //! keys, the same part for the same key in every state: merging part p of many states
  //! touches no group of another part, so parts merge in parallel. The state is spent.
  Result<std::vector<std::unique_ptr<HashAggregateState>>> SplitByKeyHash(int parts);

  //! Whether PartitionByKeyHash takes rows of the input: CanSplitByKeyHash, each key
  //! column comes in as the groups hold it (no dictionary to decode), and every result is
  //! the same however the rows were grouped into partial states before merging (no
  //! floating-point sum, no mean, variance or deviation, whose rounding depends on it),
  //! so that a run that hands some splits on as partial states and the others as rows,
  //! as timing decides, gives the same answer every time.
  bool CanPartitionByKeyHash() const;

  //! The rows of `batch` (of the input schema) in `parts` batches (1..256), each row in
  //! the part SplitByKeyHash puts its group in, in input order within a part; a part no
  //! row goes to is null. Consuming part p into part p of split states keeps every key
  //! in one part, as merging does.
  Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> PartitionByKeyHash(
      const std::shared_ptr<arrow::RecordBatch>& batch, int parts) const;

  //! The results so far as Finalize gives them, but in one batch, one row per group in
  //! group-id order, leaving this state as it is: how a changelog reads what changed.
  Result<std::shared_ptr<arrow::RecordBatch>> ResultsSoFar() const;

  //! Each group's key group (< num_key_groups, the stable hash of its keys), in group-id
  //! order: computed when asked, so consuming rows never hashes them twice.
  Result<std::vector<uint16_t>> GroupKeyGroups(int num_key_groups) const;

  //! The groups g with keep[g] != 0 (none past keep.size()), self-contained: the key columns, then one state column
  //! per aggregate (GroupedAccumulator::SaveState), a row per group. The state is unchanged.
  Result<std::shared_ptr<arrow::RecordBatch>> SaveGroups(const std::vector<uint8_t>& keep) const;

  //! Adds the groups of a SaveGroups batch of a state of this layout (as Merge would) and
  //! returns the id each row's group has here. A batch of another layout is an error.
  Result<std::vector<uint32_t>> LoadGroups(const arrow::RecordBatch& saved);

  //! Drops the groups g with drop[g] != 0 (a keyed state's expired keys); the others get
  //! new ids, returned per old id (kDropGroup for the dropped). Needs keys.
  Result<std::vector<uint32_t>> Forget(const std::vector<uint8_t>& drop);

  //! The key columns then one column per aggregate, one row per group in an unspecified
  //! order (as SQL's GROUP BY; the Grouper's ids are not strictly first-appearance), in
  //! batches of at most `max_batch_rows` (none when there are no groups).
  //! Without keys there is always exactly one group. The state is spent.
  Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> Finalize(
      int64_t max_batch_rows = kMaxAggregateOutputRows);

  //! Folds the rows of `batch` whose group already exists here and returns the others
  //! (null when there are none), making no new group: how a state that reached its
  //! memory budget keeps its groups complete while the rest spills.
  Result<std::shared_ptr<arrow::RecordBatch>> ConsumeExistingGroups(const std::shared_ptr<arrow::RecordBatch>& batch);

  //! An estimate of the memory the groups hold: keys (as wide as the input's on average)
  //! plus accumulators and hash table per group. Arrow's Grouper does not report its own.
  int64_t EstimatedMemory() const;

  int64_t num_groups() const { return num_groups_; }
  //! The rows consumed so far (with keys; merged states' rows not counted).
  int64_t rows_seen() const { return rows_seen_; }
  //! The entries merging this state walks, over all its aggregates (see
  //! GroupedAccumulator::merge_entries): what it costs to merge or to split.
  int64_t MergeEntries() const;
  //! The entries of the largest part of this state: its groups, or an aggregate's entries
  //! where one keeps more than a group's worth (count_distinct's pairs). As many as the
  //! rows consumed means the state reduced nothing.
  int64_t LargestEntries() const;
  const std::shared_ptr<arrow::Schema>& output_schema() const;
  const std::shared_ptr<arrow::Schema>& input_schema() const;
  const std::vector<int>& key_columns() const;

 private:
  struct Layout;
  HashAggregateState(std::shared_ptr<const Layout> layout, std::unique_ptr<arrow::compute::Grouper> grouper,
                     std::vector<std::unique_ptr<GroupedAccumulator>> accumulators);
  //! An empty state over `grouper`, or over a new Grouper of the layout when null.
  static Result<std::unique_ptr<HashAggregateState>> MakeFromLayout(
      std::shared_ptr<const Layout> layout, std::unique_ptr<arrow::compute::Grouper> grouper = nullptr);
  //! A copy without the groups `drop` marks (none when null), and each group's id there.
  Result<std::pair<std::unique_ptr<HashAggregateState>, std::vector<uint32_t>>> CopyWithout(
      const std::vector<uint8_t>* drop) const;
  //! A copy holding only the groups `kept` lists (all when null; `uniques` are this
  //! state's keys, null when it has none or no groups), and each group's id there.
  Result<std::pair<std::unique_ptr<HashAggregateState>, std::vector<uint32_t>>> CopyGroups(
      const arrow::compute::ExecBatch* uniques, const std::vector<int32_t>* kept) const;
  void ResizeAccumulators();

  std::shared_ptr<const Layout> layout_;
  std::unique_ptr<arrow::compute::Grouper> grouper_;  // null without keys
  std::vector<std::unique_ptr<GroupedAccumulator>> accumulators_;
  std::vector<uint32_t> global_group_ids_;  // all zero: the group ids when there are no keys
  uint32_t num_groups_ = 0;
  int64_t key_bytes_seen_ = 0;  // of the key columns consumed, for EstimatedMemory
  int64_t rows_seen_ = 0;
};

class SpillingAggregation;

//! Groups by `keys` (column names; none = one global group that exists even for empty
//! input, as SQL's SELECT count(*) FROM t gives one row).
//! Output schema: the key columns (same types, see decode_dictionary_keys) then one column per aggregate. Emits the
//! whole result at EndOfStream (in batches of at most 64K rows), then EndOfStream.
//! Watermarks/barriers are forwarded. Under a memory budget the groups that do not fit
//! spill to disk (see SpillingAggregation).
class HashAggregateOperator final : public Operator {
 public:
  explicit HashAggregateOperator(std::unique_ptr<HashAggregateState> state,
                                 std::shared_ptr<MemoryBudget> budget = nullptr);
  ~HashAggregateOperator() override;
  std::string_view name() const override { return "HashAggregate"; }
  Result<Flow> Push(int port, Message message) override;

 private:
  std::unique_ptr<SpillingAggregation> aggregation_;  // null once the result was emitted
};

//! `budget`: the job's memory budget; null is unlimited. `decode_dictionary_keys`: see
//! HashAggregateState::Make.
Result<std::unique_ptr<Operator>> MakeHashAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                    const std::vector<std::string>& keys,
                                                    const std::vector<AggregateSpec>& aggregates,
                                                    std::shared_ptr<MemoryBudget> budget = nullptr,
                                                    bool decode_dictionary_keys = false);

}  // namespace sabot
