// EventTimeJoinOperator: batches, watermarks, barriers and the end of both inputs.
#include "sabot/ops/event_time_join.h"

#include <arrow/api.h>

#include "sabot/exec/event_time.h"
#include "sabot/ops/key_group_state.h"

namespace sabot {

Result<Flow> EventTimeJoinOperator::Push(int port, Message message) {
  SABOT_CHECK(port == 0 || port == 1);
  switch (message.kind()) {
    case MessageKind::kBatch:
      if (message.batch()->num_rows() == 0) return Flow::kContinue;
      progress_.Active(port);
      return Consume(port, message.batch());
    case MessageKind::kIdle: {
      progress_.Idle(port);
      auto next = progress_.Forward();
      return next ? Emit(std::move(*next)) : Flow::kContinue;
    }
    case MessageKind::kWatermark:
    case MessageKind::kEndOfStream: {
      ARROW_ASSIGN_OR_RAISE(bool moved, progress_.Record(port, message));
      if (!moved) return Flow::kContinue;
      ARROW_ASSIGN_OR_RAISE(Flow flow, Advanced(port));
      if (flow == Flow::kStop) return flow;
      auto next = progress_.Forward();
      return next ? Emit(std::move(*next)) : Flow::kContinue;
    }
    case MessageKind::kCheckpointBarrier:
      if (!progress_.BarrierDue(message.checkpoint_id())) return Flow::kContinue;
      return Emit(std::move(message));
  }
  return Flow::kContinue;
}

Result<std::vector<int64_t>> EventTimeJoinOperator::StateRowsByKeyGroup() const {
  std::vector<int64_t> counts;
  for (int port : {0, 1}) {
    ARROW_ASSIGN_OR_RAISE(auto held, HeldByKeyGroup(port));
    ARROW_RETURN_NOT_OK(CountByKeyGroup(held.second, key_group_range(), &counts));
  }
  return counts;
}

namespace {

std::shared_ptr<arrow::Schema> WatermarksSchema() {
  return arrow::schema({arrow::field("left", arrow::int64()), arrow::field("right", arrow::int64())});
}

}  // namespace

Result<std::shared_ptr<arrow::Buffer>> EventTimeJoinOperator::SnapshotKeyGroups(KeyGroupRange groups) const {
  KeyGroupSnapshotContents contents{std::string(name()), num_key_groups(), groups, 0, {}};
  std::vector<std::shared_ptr<arrow::Array>> watermarks;
  for (int port : {0, 1}) {
    ARROW_ASSIGN_OR_RAISE(auto watermark, arrow::MakeArrayFromScalar(arrow::Int64Scalar(progress_.watermark(port)), 1));
    watermarks.push_back(std::move(watermark));
  }
  contents.sections.push_back(arrow::RecordBatch::Make(WatermarksSchema(), 1, std::move(watermarks)));
  for (int port : {0, 1}) {
    ARROW_ASSIGN_OR_RAISE(auto held, HeldByKeyGroup(port));
    ARROW_ASSIGN_OR_RAISE(auto rows, RowsInKeyGroups(held.first, held.second, groups));
    contents.sections.push_back(rows != nullptr ? std::move(rows) : held.first->Slice(0, 0));
  }
  return EncodeKeyGroupSnapshot(contents);
}

Status EventTimeJoinOperator::RestoreKeyGroups(const arrow::Buffer& snapshot) {
  std::vector<std::shared_ptr<arrow::Schema>> schemas = {WatermarksSchema()};
  for (int port : {0, 1}) {
    ARROW_ASSIGN_OR_RAISE(auto schema, HeldSchema(port));
    schemas.push_back(std::move(schema));
  }
  ARROW_ASSIGN_OR_RAISE(auto contents, DecodeKeyGroupSnapshot(snapshot, std::string(name()), *this, schemas));
  for (int port : {0, 1}) {
    const auto& watermark = static_cast<const arrow::Int64Array&>(*contents.sections[0]->column(port));
    if (watermark.length() == 1) progress_.Restore(port, watermark.Value(0));
  }
  for (int port : {0, 1}) ARROW_RETURN_NOT_OK(RestoreHeld(port, contents.sections[1 + port]));
  return Status::OK();
}

Status EventTimeJoinOperator::ReadTimes(int port, const arrow::RecordBatch& batch, const arrow::Schema& planned,
                                        int time_column, const std::string& time_name,
                                        std::vector<int64_t>* times) const {
  const char* side = port == 0 ? "left" : "right";
  if (batch.num_columns() != planned.num_fields()) {
    return Status::TypeError(name(), ": ", side, " batch schema ", batch.schema()->ToString(),
                             " does not match the planned input ", planned.ToString());
  }
  return ReadEventTimes(*batch.column(time_column), std::string(side) + " time column '" + time_name + "'", times);
}

}  // namespace sabot
