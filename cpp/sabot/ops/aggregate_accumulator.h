// GroupedAccumulator: the per-group state of one aggregate function over dense group
// ids, updated a whole batch at a time and mergeable across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/plan/aggregate_spec.h"

namespace arrow {
struct ArraySpan;
}  // namespace arrow

namespace sabot {

//! State of one aggregate for groups 0..num_groups-1. Callers make one virtual call per
//! batch; implementations loop over raw value buffers and the group-id array.
//!
//! Parallel plan: every worker thread owns a partial state (one accumulator per
//! aggregate); at finalize the executor merges them with Merge(). Single-threaded
//! execution does not merge yet, but Merge is implemented and tested so partial states
//! are ready for the morsel executor.
//! A group_id_mapping entry for Merge: the group is not carried over.
inline constexpr uint32_t kDropGroup = 0xFFFFFFFFu;

class GroupedAccumulator {
 public:
  virtual ~GroupedAccumulator() = default;

  //! Grows the state to `num_groups`; new groups start empty. Never shrinks.
  virtual void Resize(uint32_t num_groups) = 0;

  //! Folds row i of `values` into group `group_ids[i]` for i < length. `values` is null
  //! for count_all. Every group id must be < the size given to Resize.
  virtual Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids,
                         int64_t length) = 0;

  //! Folds `other` (made by MakeAccumulator from the same spec and input type) into
  //! this: other's group g becomes group `group_id_mapping[g]` here, or is left out when
  //! that is kDropGroup; Resize first. `other` holds input that comes after this one's
  //! (first/last depend on it). It is left unchanged (copies of a state rely on it).
  virtual Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) = 0;

  //! Hands this state's groups out to `parts` (made like this one, Resized first): group
  //! g becomes group `new_ids[g]` of `parts[part_of[g]]`. The same as one Merge into each
  //! part with the other parts' groups dropped, which is what the default does; an
  //! accumulator whose Merge walks more than its groups (count_distinct walks its value
  //! pairs) overrides it to walk its state once instead of once per part. Left unchanged.
  virtual Status SplitInto(const std::vector<GroupedAccumulator*>& parts, const uint8_t* part_of,
                           const uint32_t* new_ids);

  //! One result per group, in group-id order. Called once; the state is spent after.
  virtual Result<std::shared_ptr<arrow::Array>> Finalize() = 0;

  //! Every group's state as one array (one row per group, group-id order): what a key
  //! group snapshot holds. The state is left as it is.
  virtual Result<std::shared_ptr<arrow::Array>> SaveState() const = 0;
  //! Makes an empty accumulator (made from the same spec and input type) hold the groups
  //! SaveState gave; a malformed array is an error, never a crash.
  virtual Status LoadState(const arrow::Array& state) = 0;

  virtual uint32_t num_groups() const = 0;
  //! What Merge walks of this state, in entries: its groups, or more where a group holds
  //! several (count_distinct's value pairs). Tells a parallel merge how much work a state is.
  virtual int64_t merge_entries() const { return num_groups(); }
  virtual const std::shared_ptr<arrow::DataType>& output_type() const = 0;
};

//! Checks that `spec.function` is defined for `input_type` (null for count_all) and
//! makes its accumulator. Errors are user errors naming the aggregate:
//! "sum(name): expected a numeric column, found string".
Result<std::unique_ptr<GroupedAccumulator>> MakeAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type);

}  // namespace sabot
