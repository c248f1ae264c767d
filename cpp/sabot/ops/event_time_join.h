// EventTimeJoinOperator: the message handling shared by the two-input event-time joins
// (interval, as-of, window, temporal).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/exec/operator.h"
#include "sabot/ops/two_input_progress.h"
#include "sabot/state/key_group_snapshot.h"

namespace sabot {

//! Input 0 is the left side, input 1 the right. A non-empty batch goes to Consume. A
//! Watermark or EndOfStream that moves its input on goes to Advanced; then the output
//! watermark (the minimum of the inputs') leaves when it moved, or EndOfStream once both
//! inputs ended. Barriers leave once every open input sent them. An input that sent Idle
//! does not hold the output watermark back until it sends a batch or watermark again.
//!
//! The rows a join holds are keyed state: KeyGroupSnapshots counts, snapshots and restores
//! them per key group of their keys, with both inputs' watermarks.
class EventTimeJoinOperator : public Operator, public KeyGroupSnapshots {
 public:
  int num_inputs() const final { return 2; }
  Result<Flow> Push(int port, Message message) final;

  Result<std::vector<int64_t>> StateRowsByKeyGroup() const final;
  //! Sections: both inputs' watermarks, then each side's held rows (HeldSchema).
  Result<std::shared_ptr<arrow::Buffer>> SnapshotKeyGroups(KeyGroupRange groups) const final;
  Status RestoreKeyGroups(const arrow::Buffer& snapshot) final;

 protected:
  using Operator::Operator;

  virtual Result<Flow> Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  //! The watermark of input `port` moved (to +infinity when it ended): emit what that
  //! decides and let go of the state it rules out.
  virtual Result<Flow> Advanced(int port) = 0;

  const TwoInputProgress& progress() const { return progress_; }

  //! The rows side `port` holds, in one batch of HeldSchema(port), and each one's key group.
  virtual Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> HeldByKeyGroup(
      int port) const = 0;
  //! What a snapshot keeps of a held row of side `port`: its columns, maybe with the
  //! join's own per-row state prepended (a window start, a deleted flag).
  virtual Result<std::shared_ptr<arrow::Schema>> HeldSchema(int port) const = 0;
  //! Holds again rows HeldByKeyGroup gave (left first, then right), after the watermarks
  //! were restored.
  virtual Status RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& rows) = 0;

  //! Checks that `batch` of input `port` has the columns planned (`planned`) and reads its
  //! event times (column `time_column`, named `time_name` in errors) into `times`.
  Status ReadTimes(int port, const arrow::RecordBatch& batch, const arrow::Schema& planned, int time_column,
                   const std::string& time_name, std::vector<int64_t>* times) const;

 private:
  TwoInputProgress progress_;
};

}  // namespace sabot
