// Unbounded aggregation: GROUP BY without a window, emitting every change of its result
// as a changelog, with an optional state TTL in event time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/ops/hash_aggregate.h"
#include "sabot/state/key_group_snapshot.h"
#include "sabot/plan/aggregate_spec.h"

namespace sabot {

//! The values of a changelog's `op` column. Applying a changelog in order (insert and
//! update_after add their row, update_before and delete remove theirs) gives the result
//! table at that point.
inline constexpr const char* kChangelogInsert = "insert";
inline constexpr const char* kChangelogUpdateBefore = "update_before";
inline constexpr const char* kChangelogUpdateAfter = "update_after";
inline constexpr const char* kChangelogDelete = "delete";

struct ChangelogAggregateOptions {
  //! Keys whose newest row's event time (`time_column`) is at or below the watermark
  //! minus this are forgotten, emitting a delete; a later row starts them afresh. 0: never.
  int64_t state_ttl_us = 0;
  std::string time_column;
};

//! After each input batch, for every group the batch touched: a new group emits an
//! insert row, a group whose result changed an update_before row (its old result) then
//! an update_after row (its new one); an unchanged group emits nothing. Output schema:
//! `op` (string), then the keys and aggregates as MakeHashAggregate. Watermarks first
//! expire keys past the TTL, then pass; EndOfStream passes (every change already left).
//!
//! Its groups are its keyed state (KeyGroupSnapshots): a snapshot holds their
//! accumulators and, with a TTL, each one's newest event time.
class ChangelogAggregateOperator final : public Operator, public KeyGroupSnapshots {
 public:
  std::string_view name() const override { return "ChangelogAggregate"; }
  Result<Flow> Push(int port, Message message) override;
  int64_t state_rows() const override { return state_->num_groups(); }

  Result<std::vector<int64_t>> StateRowsByKeyGroup() const override;
  Result<std::shared_ptr<arrow::Buffer>> SnapshotKeyGroups(KeyGroupRange groups) const override;
  Status RestoreKeyGroups(const arrow::Buffer& snapshot) override;

 private:
  friend Result<std::unique_ptr<Operator>> MakeChangelogAggregate(const std::shared_ptr<arrow::Schema>&,
                                                                  const std::vector<std::string>&,
                                                                  const std::vector<AggregateSpec>&,
                                                                  ChangelogAggregateOptions);
  ChangelogAggregateOperator(std::shared_ptr<arrow::Schema> output, std::unique_ptr<HashAggregateState> state,
                             ChangelogAggregateOptions options, int time_column);

  Result<Flow> Consume(const std::shared_ptr<arrow::RecordBatch>& batch);
  Result<Flow> Expire(EventTime watermark);
  //! Emits `rows` of `results` (the state's result layout) with `op` prepended.
  Result<Flow> EmitRows(const std::shared_ptr<arrow::RecordBatch>& results, std::vector<int32_t> rows,
                        const char* op);

  std::unique_ptr<HashAggregateState> state_;
  ChangelogAggregateOptions options_;
  int time_column_;  // -1 without a TTL
  //! The result each group last emitted, by group id (rows past emitted_groups_ are none).
  std::shared_ptr<arrow::RecordBatch> emitted_;
  std::vector<int64_t> newest_;  // per group id: its newest row's event time (with a TTL)
  std::vector<uint32_t> ids_;    // scratch: the batch's group ids
  std::vector<int64_t> times_;   // scratch: the batch's event times
};

//! Errors name the column or aggregate at fault; a TTL needs keys and a timestamp
//! `time_column`.
Result<std::unique_ptr<Operator>> MakeChangelogAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                         const std::vector<std::string>& keys,
                                                         const std::vector<AggregateSpec>& aggregates,
                                                         ChangelogAggregateOptions options = {});

}  // namespace sabot
