// SpillingAggregation: hash aggregation within a memory budget (hybrid hash aggregation).
#pragma once

#include <functional>
#include <memory>

#include "sabot/exec/memory_budget.h"
#include "sabot/exec/operator.h"
#include "sabot/exec/spill_file.h"
#include "sabot/ops/hash_aggregate.h"

namespace sabot {

//! Feeds a HashAggregateState until its groups would pass the memory budget. From then
//! on the groups it holds stay in memory and keep absorbing their rows, while rows of any
//! other group are written, raw, to 16 spill files by key hash. At the end the in-memory
//! groups are emitted (they saw all their rows), then each spill file is aggregated by a
//! new pass one level down, which may spill again with the next bits of the hash.
//!
//! Why raw rows and not partial states: every group is then built by exactly one state
//! from its rows in input order, so first/last and every other aggregate need no
//! serialized partial state, and no group's work is done twice. The rows that spill are
//! only those of groups that did not fit, so a small overflow costs little I/O.
//!
//! With spilling disabled, passing the budget fails with MemoryBudget::ExceededError.
class SpillingAggregation {
 public:
  using EmitFn = std::function<Result<Flow>(std::shared_ptr<arrow::RecordBatch>)>;

  //! `budget` null: unlimited. `level`: how often these rows were partitioned before.
  SpillingAggregation(std::unique_ptr<HashAggregateState> state, std::shared_ptr<MemoryBudget> budget,
                      int level = 0);
  ~SpillingAggregation();

  Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Emits every group's result row; kStop as soon as `emit` returns it.
  Result<Flow> Finish(const EmitFn& emit);

 private:
  Status StartSpilling();

  std::unique_ptr<HashAggregateState> state_;
  MemoryReservation reservation_;
  int level_;
  std::unique_ptr<HashAggregateState> prototype_;  // empty; layout for the partitions' passes
  std::unique_ptr<SpilledPartitions> partitions_;  // set once spilling
};

}  // namespace sabot
