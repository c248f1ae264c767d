// EventTimeWindowOperator: batches, watermarks and the end of input for window operators.
#include "sabot/ops/event_time_window.h"

#include <algorithm>

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/ops/hash_aggregate.h"

namespace sabot {

std::shared_ptr<arrow::DataType> WindowTimeType() { return arrow::timestamp(arrow::TimeUnit::MICRO); }

Result<std::shared_ptr<arrow::Schema>> WindowOutputSchema(const arrow::Schema& groups) {
  arrow::FieldVector fields = {arrow::field("window_start", WindowTimeType(), /*nullable=*/false),
                               arrow::field("window_end", WindowTimeType(), /*nullable=*/false)};
  for (const auto& field : groups.fields()) {
    if (field->name() == "window_start" || field->name() == "window_end") {
      return Status::Invalid("output column '", field->name(), "' clashes with the window column of that name");
    }
    fields.push_back(field);
  }
  return arrow::schema(std::move(fields));
}

Result<Flow> EventTimeWindowOperator::Push(int /*port*/, Message message) {
  switch (message.kind()) {
    case MessageKind::kBatch:
      ARROW_RETURN_NOT_OK(Consume(message.batch()));
      return CloseWindows();
    case MessageKind::kWatermark:
    case MessageKind::kEndOfStream: {
      const bool end = message.kind() == MessageKind::kEndOfStream;
      watermark_ = end ? kMaxWatermark : std::max(watermark_, message.watermark());
      ARROW_ASSIGN_OR_RAISE(Flow flow, CloseWindows());
      ARROW_ASSIGN_OR_RAISE(Flow forwarded, Emit(std::move(message)));
      return flow == Flow::kStop ? flow : forwarded;
    }
    case MessageKind::kCheckpointBarrier:
    case MessageKind::kIdle:
      return Emit(std::move(message));
  }
  return Flow::kContinue;
}

Result<Flow> EventTimeWindowOperator::EmitResults(const std::vector<std::shared_ptr<arrow::RecordBatch>>& results) {
  if (results.empty()) return Flow::kContinue;
  ARROW_ASSIGN_OR_RAISE(auto all, arrow::ConcatenateRecordBatches(results));
  for (int64_t offset = 0; offset < all->num_rows(); offset += kMaxAggregateOutputRows) {
    ARROW_ASSIGN_OR_RAISE(Flow flow, Emit(Message::Batch(all->Slice(offset, kMaxAggregateOutputRows))));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

}  // namespace sabot
