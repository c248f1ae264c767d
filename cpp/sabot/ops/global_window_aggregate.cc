// GlobalWindowAggregateOperator: one growing aggregate, read without being spent when a
// trigger fires, finalized at the end of input.
#include "sabot/ops/global_window_aggregate.h"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

#include "sabot/ops/key_group_state.h"

namespace sabot {

GlobalWindowAggregateOperator::GlobalWindowAggregateOperator(std::unique_ptr<HashAggregateState> state,
                                                             WindowSpec window)
    : Operator(state->output_schema()),
      state_(std::move(state)),
      window_(std::move(window)),
      last_fire_(std::chrono::steady_clock::now()) {}

Result<Flow> GlobalWindowAggregateOperator::Push(int /*port*/, Message message) {
  if (state_ == nullptr) return Flow::kStop;  // the final result left; nothing may follow
  switch (message.kind()) {
    case MessageKind::kBatch:
      return Consume(message.batch());
    case MessageKind::kWatermark:
      // Only the end of time closes a global window.
      if (message.watermark() == kMaxWatermark) {
        ARROW_ASSIGN_OR_RAISE(Flow flow, EmitFinal());
        if (flow == Flow::kStop) return flow;
      }
      return Emit(std::move(message));
    case MessageKind::kEndOfStream: {
      ARROW_ASSIGN_OR_RAISE(Flow flow, EmitFinal());
      if (flow == Flow::kStop) return flow;
      ARROW_RETURN_NOT_OK(Emit(std::move(message)));
      return Flow::kStop;
    }
    case MessageKind::kCheckpointBarrier:
    case MessageKind::kIdle:
      return Emit(std::move(message));
  }
  return Flow::kContinue;
}

Result<Flow> GlobalWindowAggregateOperator::Consume(const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (batch->num_rows() == 0) return Flow::kContinue;
  ARROW_RETURN_NOT_OK(state_->Consume(*batch, &ids_));
  rows_since_fire_.resize(static_cast<size_t>(state_->num_groups()), 0);
  std::vector<uint8_t> fire;
  for (uint32_t id : ids_) ++rows_since_fire_[id];
  if (window_.trigger_count > 0) {
    for (size_t g = 0; g < rows_since_fire_.size(); ++g) {
      if (rows_since_fire_[g] < window_.trigger_count) continue;
      if (fire.empty()) fire.assign(rows_since_fire_.size(), 0);
      fire[g] = 1;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  if (window_.trigger_interval_us > 0 && now - last_fire_ >= std::chrono::microseconds(window_.trigger_interval_us)) {
    last_fire_ = now;
    fire.assign(rows_since_fire_.size(), 0);
    for (size_t g = 0; g < rows_since_fire_.size(); ++g) fire[g] = rows_since_fire_[g] > 0;
  }
  if (fire.empty()) return Flow::kContinue;
  return Fire(fire);
}

Result<Flow> GlobalWindowAggregateOperator::Fire(const std::vector<uint8_t>& fire) {
  std::vector<int32_t> rows;
  for (size_t g = 0; g < fire.size(); ++g) {
    if (!fire[g]) continue;
    rows.push_back(static_cast<int32_t>(g));
    rows_since_fire_[g] = 0;
  }
  if (rows.empty()) return Flow::kContinue;
  ARROW_ASSIGN_OR_RAISE(auto results, state_->ResultsSoFar());
  arrow::Int32Array indices(static_cast<int64_t>(rows.size()), arrow::Buffer::Wrap(rows));
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(results), arrow::Datum(indices)));
  return Emit(Message::Batch(taken.record_batch()));
}

Result<Flow> GlobalWindowAggregateOperator::EmitFinal() {
  auto state = std::move(state_);
  ARROW_ASSIGN_OR_RAISE(auto results, state->Finalize());
  for (auto& batch : results) {
    ARROW_ASSIGN_OR_RAISE(Flow flow, Emit(Message::Batch(std::move(batch))));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

Result<std::vector<int64_t>> GlobalWindowAggregateOperator::StateRowsByKeyGroup() const {
  std::vector<int64_t> counts(static_cast<size_t>(key_group_range().end - key_group_range().begin), 0);
  if (state_ != nullptr) {
    ARROW_RETURN_NOT_OK(CountGroupsByKeyGroup(*state_, num_key_groups(), key_group_range(), &counts));
  }
  return counts;
}

namespace {

Status Ended(std::string_view op) { return Status::Invalid(op, ": the input ended, no state is left to snapshot"); }

}  // namespace

// One section: the groups (HashAggregateState::SaveGroups) with each one's rows since it
// last fired.
Result<std::shared_ptr<arrow::Buffer>> GlobalWindowAggregateOperator::SnapshotKeyGroups(KeyGroupRange groups) const {
  if (state_ == nullptr) return Ended(name());
  KeyGroupSnapshotContents contents{std::string(name()), num_key_groups(), groups, 0, {}};
  ARROW_ASSIGN_OR_RAISE(auto saved,
                        SaveKeyGroupsWith(*state_, num_key_groups(), groups, "rows_since_fire", rows_since_fire_, 0));
  contents.sections.push_back(std::move(saved));
  return EncodeKeyGroupSnapshot(contents);
}

Status GlobalWindowAggregateOperator::RestoreKeyGroups(const arrow::Buffer& snapshot) {
  if (state_ == nullptr) return Ended(name());
  ARROW_ASSIGN_OR_RAISE(auto schema, SavedWithSchema(*state_, "rows_since_fire"));
  ARROW_ASSIGN_OR_RAISE(auto contents, DecodeKeyGroupSnapshot(snapshot, std::string(name()), *this, {schema}));
  return LoadKeyGroupsWith(*contents.sections[0], state_.get(), &rows_since_fire_, 0);
}

Result<std::unique_ptr<Operator>> MakeGlobalWindowAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                            const WindowSpec& window,
                                                            const std::vector<std::string>& keys,
                                                            const std::vector<AggregateSpec>& aggregates) {
  if (window.kind != WindowSpec::Kind::kGlobal) {
    return Status::Invalid("MakeGlobalWindowAggregate needs a global window");
  }
  if (window.trigger_count < 0) {
    return Status::Invalid("a global window's count trigger must not be negative, got ", window.trigger_count);
  }
  if (window.trigger_interval_us < 0) {
    return Status::Invalid("a global window's trigger interval must not be negative, got ",
                           window.trigger_interval_us, " us");
  }
  ARROW_ASSIGN_OR_RAISE(auto state, HashAggregateState::Make(input, keys, aggregates));
  return std::unique_ptr<Operator>(new GlobalWindowAggregateOperator(std::move(state), window));
}

}  // namespace sabot
