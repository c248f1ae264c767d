// Global windows: one window per key over all time, emitted when the input ends (or the
// watermark reaches +infinity), and optionally earlier by a count or processing-time
// trigger.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/ops/hash_aggregate.h"
#include "sabot/plan/aggregate_spec.h"
#include "sabot/plan/window_spec.h"
#include "sabot/state/key_group_snapshot.h"

namespace sabot {

//! Groups every row by key. A trigger firing emits the current result of the keys it
//! fires for (as rows of the output schema, like the final ones); the end of input
//! emits every key's final result. The last row of a key is its final result, equal to
//! a GROUP BY over all the input. Watermarks and barriers pass.
//!  - count trigger N: a key fires each time it took N rows since it last fired;
//!  - interval trigger T: when input arrives T or more after the last firing, every key
//!    that took rows since fires.
//!
//! Its groups are keyed state (KeyGroupSnapshots): a snapshot holds their accumulators
//! and each one's rows since it last fired.
class GlobalWindowAggregateOperator final : public Operator, public KeyGroupSnapshots {
 public:
  std::string_view name() const override { return "GlobalWindowAggregate"; }
  Result<Flow> Push(int port, Message message) override;
  int64_t state_rows() const override { return state_ != nullptr ? state_->num_groups() : 0; }

  Result<std::vector<int64_t>> StateRowsByKeyGroup() const override;
  Result<std::shared_ptr<arrow::Buffer>> SnapshotKeyGroups(KeyGroupRange groups) const override;
  Status RestoreKeyGroups(const arrow::Buffer& snapshot) override;

 private:
  friend Result<std::unique_ptr<Operator>> MakeGlobalWindowAggregate(const std::shared_ptr<arrow::Schema>&,
                                                                     const WindowSpec&,
                                                                     const std::vector<std::string>&,
                                                                     const std::vector<AggregateSpec>&);
  GlobalWindowAggregateOperator(std::unique_ptr<HashAggregateState> state, WindowSpec window);

  Result<Flow> Consume(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Emits the results so far of the groups `fire` marks.
  Result<Flow> Fire(const std::vector<uint8_t>& fire);
  //! Emits every group's final result; the state is spent.
  Result<Flow> EmitFinal();

  std::unique_ptr<HashAggregateState> state_;  // null once the final result left
  WindowSpec window_;
  std::vector<int64_t> rows_since_fire_;  // per group id
  std::vector<uint32_t> ids_;             // scratch: the batch's group ids
  std::chrono::steady_clock::time_point last_fire_;
};

//! `window` must be WindowSpec::Kind::kGlobal (time column, size and slide unused).
//! Output schema: the keys then the aggregates, as MakeHashAggregate.
Result<std::unique_ptr<Operator>> MakeGlobalWindowAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                            const WindowSpec& window,
                                                            const std::vector<std::string>& keys,
                                                            const std::vector<AggregateSpec>& aggregates);

}  // namespace sabot
