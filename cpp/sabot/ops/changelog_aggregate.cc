// ChangelogAggregateOperator: a growing aggregate whose results are read after every
// batch and compared with what each group last emitted.
#include "sabot/ops/changelog_aggregate.h"

#include <limits>

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include "sabot/exec/event_time.h"
#include "sabot/ops/key_group_state.h"

namespace sabot {

namespace {

// Rows `rows` of `batch`.
Result<std::shared_ptr<arrow::RecordBatch>> TakeRows(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                     std::vector<int32_t>& rows) {
  arrow::Int32Array indices(static_cast<int64_t>(rows.size()), arrow::Buffer::Wrap(rows));
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

// Per row: whether `a` and `b` differ, nulls included (null vs null is no change).
Result<std::shared_ptr<arrow::Array>> Differs(const std::shared_ptr<arrow::Array>& a,
                                              const std::shared_ptr<arrow::Array>& b) {
  namespace cp = arrow::compute;
  ARROW_ASSIGN_OR_RAISE(auto unequal, cp::CallFunction("not_equal", {a, b}));
  ARROW_ASSIGN_OR_RAISE(unequal, cp::CallFunction("coalesce", {unequal, arrow::Datum(false)}));
  ARROW_ASSIGN_OR_RAISE(auto a_null, cp::IsNull(a));
  ARROW_ASSIGN_OR_RAISE(auto b_null, cp::IsNull(b));
  ARROW_ASSIGN_OR_RAISE(auto null_changed, cp::CallFunction("xor", {a_null, b_null}));
  ARROW_ASSIGN_OR_RAISE(auto differs, cp::Or(unequal, null_changed));
  return differs.make_array();
}

}  // namespace

ChangelogAggregateOperator::ChangelogAggregateOperator(std::shared_ptr<arrow::Schema> output,
                                                       std::unique_ptr<HashAggregateState> state,
                                                       ChangelogAggregateOptions options, int time_column)
    : Operator(std::move(output)), state_(std::move(state)), options_(std::move(options)), time_column_(time_column) {}

Result<Flow> ChangelogAggregateOperator::Push(int /*port*/, Message message) {
  switch (message.kind()) {
    case MessageKind::kBatch:
      return Consume(message.batch());
    case MessageKind::kWatermark: {
      ARROW_ASSIGN_OR_RAISE(Flow flow, Expire(message.watermark()));
      if (flow == Flow::kStop) return flow;
      return Emit(std::move(message));
    }
    case MessageKind::kEndOfStream:
    case MessageKind::kCheckpointBarrier:
    case MessageKind::kIdle:
      return Emit(std::move(message));
  }
  return Flow::kContinue;
}

Result<Flow> ChangelogAggregateOperator::Consume(const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  if (n == 0) return Flow::kContinue;
  ARROW_RETURN_NOT_OK(state_->Consume(*batch, &ids_));
  const size_t groups = static_cast<size_t>(state_->num_groups());
  if (time_column_ >= 0) {
    const auto& name = batch->schema()->field(time_column_)->name();
    ARROW_RETURN_NOT_OK(ReadEventTimes(*batch->column(time_column_), "state TTL time column '" + name + "'", &times_));
    newest_.resize(groups, std::numeric_limits<int64_t>::min());
    for (int64_t i = 0; i < n; ++i) {
      int64_t& newest = newest_[ids_[static_cast<size_t>(i)]];
      newest = std::max(newest, times_[static_cast<size_t>(i)]);
    }
  }
  // The groups this batch touched, in first-touch order: old ones may have changed.
  const int64_t emitted = emitted_ != nullptr ? emitted_->num_rows() : 0;
  std::vector<uint8_t> touched(groups, 0);
  std::vector<int32_t> old_groups, new_groups;
  for (uint32_t id : ids_) {
    if (touched[id]) continue;
    touched[id] = 1;
    (static_cast<int64_t>(id) < emitted ? old_groups : new_groups).push_back(static_cast<int32_t>(id));
  }
  ARROW_ASSIGN_OR_RAISE(auto results, state_->ResultsSoFar());
  std::vector<int32_t> changed;
  if (!old_groups.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto before, TakeRows(emitted_, old_groups));
    ARROW_ASSIGN_OR_RAISE(auto after, TakeRows(results, old_groups));
    std::vector<uint8_t> differs(old_groups.size(), 0);
    // Keys are equal by construction; only the aggregates can change.
    for (int c = static_cast<int>(state_->key_columns().size()); c < results->num_columns(); ++c) {
      ARROW_ASSIGN_OR_RAISE(auto column, Differs(before->column(c), after->column(c)));
      const auto& flags = static_cast<const arrow::BooleanArray&>(*column);
      for (int64_t i = 0; i < flags.length(); ++i) differs[static_cast<size_t>(i)] |= flags.Value(i);
    }
    for (size_t i = 0; i < old_groups.size(); ++i) {
      if (differs[i]) changed.push_back(old_groups[i]);
    }
  }
  auto old_results = emitted_;
  emitted_ = results;
  ARROW_ASSIGN_OR_RAISE(Flow flow, EmitRows(old_results, changed, kChangelogUpdateBefore));
  if (flow == Flow::kStop) return flow;
  ARROW_ASSIGN_OR_RAISE(flow, EmitRows(results, changed, kChangelogUpdateAfter));
  if (flow == Flow::kStop) return flow;
  return EmitRows(results, std::move(new_groups), kChangelogInsert);
}

Result<Flow> ChangelogAggregateOperator::Expire(EventTime watermark) {
  if (options_.state_ttl_us == 0 || emitted_ == nullptr) return Flow::kContinue;
  const size_t groups = static_cast<size_t>(state_->num_groups());
  std::vector<uint8_t> drop(groups, 0);
  std::vector<int32_t> expired;
  for (size_t g = 0; g < groups; ++g) {
    if (SaturatingAdd(newest_[g], options_.state_ttl_us) > watermark) continue;
    drop[g] = 1;
    expired.push_back(static_cast<int32_t>(g));
  }
  if (expired.empty()) return Flow::kContinue;
  ARROW_ASSIGN_OR_RAISE(Flow flow, EmitRows(emitted_, expired, kChangelogDelete));
  // Renumber what is kept: row new_id of the emitted results and newest times.
  ARROW_ASSIGN_OR_RAISE(auto mapping, state_->Forget(drop));
  std::vector<int32_t> order(static_cast<size_t>(state_->num_groups()));
  std::vector<int64_t> newest(order.size());
  for (size_t g = 0; g < groups; ++g) {
    if (mapping[g] == kDropGroup) continue;
    order[mapping[g]] = static_cast<int32_t>(g);
    newest[mapping[g]] = newest_[g];
  }
  ARROW_ASSIGN_OR_RAISE(emitted_, TakeRows(emitted_, order));
  newest_ = std::move(newest);
  return flow;
}

Result<Flow> ChangelogAggregateOperator::EmitRows(const std::shared_ptr<arrow::RecordBatch>& results,
                                                  std::vector<int32_t> rows, const char* op) {
  if (rows.empty()) return Flow::kContinue;
  ARROW_ASSIGN_OR_RAISE(auto taken, TakeRows(results, rows));
  ARROW_ASSIGN_OR_RAISE(auto ops, arrow::MakeArrayFromScalar(arrow::StringScalar(op), taken->num_rows()));
  std::vector<std::shared_ptr<arrow::Array>> columns = {ops};
  for (const auto& column : taken->columns()) columns.push_back(column);
  return Emit(Message::Batch(arrow::RecordBatch::Make(output_schema(), taken->num_rows(), std::move(columns))));
}

Result<std::vector<int64_t>> ChangelogAggregateOperator::StateRowsByKeyGroup() const {
  std::vector<int64_t> counts;
  ARROW_RETURN_NOT_OK(CountGroupsByKeyGroup(*state_, num_key_groups(), key_group_range(), &counts));
  return counts;
}

// One section: the groups (HashAggregateState::SaveGroups) with each one's newest event
// time (TTL). What each group last emitted is its current result, so it is not stored.
Result<std::shared_ptr<arrow::Buffer>> ChangelogAggregateOperator::SnapshotKeyGroups(KeyGroupRange groups) const {
  KeyGroupSnapshotContents contents{std::string(name()), num_key_groups(), groups, 0, {}};
  ARROW_ASSIGN_OR_RAISE(auto saved, SaveKeyGroupsWith(*state_, num_key_groups(), groups, "newest", newest_,
                                                      std::numeric_limits<int64_t>::min()));
  contents.sections.push_back(std::move(saved));
  return EncodeKeyGroupSnapshot(contents);
}

Status ChangelogAggregateOperator::RestoreKeyGroups(const arrow::Buffer& snapshot) {
  ARROW_ASSIGN_OR_RAISE(auto schema, SavedWithSchema(*state_, "newest"));
  ARROW_ASSIGN_OR_RAISE(auto contents, DecodeKeyGroupSnapshot(snapshot, std::string(name()), *this, {schema}));
  ARROW_RETURN_NOT_OK(
      LoadKeyGroupsWith(*contents.sections[0], state_.get(), &newest_, std::numeric_limits<int64_t>::min()));
  if (time_column_ < 0) newest_.clear();
  ARROW_ASSIGN_OR_RAISE(emitted_, state_->ResultsSoFar());
  return Status::OK();
}

Result<std::unique_ptr<Operator>> MakeChangelogAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                         const std::vector<std::string>& keys,
                                                         const std::vector<AggregateSpec>& aggregates,
                                                         ChangelogAggregateOptions options) {
  if (options.state_ttl_us < 0) {
    return Status::Invalid("state TTL must not be negative, got ", options.state_ttl_us, " us");
  }
  int time_column = -1;
  if (options.state_ttl_us > 0) {
    if (keys.empty()) return Status::Invalid("a state TTL needs group keys: a global aggregate has one key forever");
    ARROW_ASSIGN_OR_RAISE(time_column, ResolveTimeColumn(*input, options.time_column, "state TTL time column"));
  }
  ARROW_ASSIGN_OR_RAISE(auto state, HashAggregateState::Make(input, keys, aggregates));
  const auto& groups = *state->output_schema();
  if (groups.GetFieldIndex("op") >= 0) {
    return Status::Invalid("output column 'op' clashes with the changelog's op column; rename it");
  }
  ARROW_ASSIGN_OR_RAISE(auto output, groups.AddField(0, arrow::field("op", arrow::utf8(), /*nullable=*/false)));
  return std::unique_ptr<Operator>(
      new ChangelogAggregateOperator(std::move(output), std::move(state), std::move(options), time_column));
}

}  // namespace sabot
