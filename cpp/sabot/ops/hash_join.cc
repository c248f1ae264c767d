// Hash join operator: input bookkeeping, probing in bulk, residual filtering, and
// materializing output rows with Take over index arrays.
#include "sabot/ops/hash_join.h"

#include <algorithm>
#include <limits>

#include <arrow/api.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_vector.h>
#include <arrow/util/byte_size.h>

#include "sabot/common/type_names.h"

namespace sabot {

namespace {

constexpr int64_t kProbeChunkRows = 2048;
// Probe rows the key filter is judged on before it may be turned off.
constexpr int64_t kFilterTrialRows = 1 << 16;

// Semi and anti joins without a residual only ask whether a key exists; duplicate build
// keys would make every probe walk them.
bool BuildKeepsDistinctKeys(const JoinSpec& spec) { return OutputsLeftOnly(spec.type) && !spec.residual; }

std::shared_ptr<arrow::Array> IndexArray(const uint32_t* rows, int64_t n) {
  // Zero-copy view: Take copies the values out, so the view need not outlive the call.
  return std::make_shared<arrow::UInt32Array>(n, arrow::Buffer::Wrap(rows, n));
}

}  // namespace

HashJoinOperator::HashJoinOperator(JoinSpec spec, JoinLayout layout, std::shared_ptr<arrow::Schema> left,
                                   std::shared_ptr<arrow::Schema> right, std::optional<BoundExpr> residual,
                                   std::shared_ptr<MemoryBudget> budget)
    : Operator(layout.output_schema),
      spec_(std::move(spec)),
      layout_(std::move(layout)),
      left_schema_(std::move(left)),
      right_schema_(std::move(right)),
      residual_(std::move(residual)),
      builder_(right_schema_, layout_.right_key_indices),
      watermarks_{std::numeric_limits<EventTime>::min(), std::numeric_limits<EventTime>::min()},
      emitted_watermark_(std::numeric_limits<EventTime>::min()),
      reservation_(std::move(budget)) {
  if (residual_) {
    // Only the columns the residual reads are gathered for the candidate pairs.
    arrow::FieldVector fields;
    for (const auto& name : residual_->expr().ColumnRefs()) {
      int i = layout_.joined_schema->GetFieldIndex(name);
      fields.push_back(layout_.joined_schema->field(i));
      const int num_left = left_schema_->num_fields();
      residual_columns_.push_back(i < num_left ? ResidualColumn{true, i} : ResidualColumn{false, i - num_left});
    }
    residual_schema_ = arrow::schema(std::move(fields));
  }
}

Result<Flow> HashJoinOperator::Forward(Message message) {
  ARROW_ASSIGN_OR_RAISE(auto flow, Emit(std::move(message)));
  if (flow == Flow::kStop) stopped_ = true;
  return flow;
}

Result<Flow> HashJoinOperator::AdvanceWatermark() {
  // Buffered or spilled left rows are emitted later; a watermark passed now could
  // overtake them.
  if (!pending_left_.empty() || spilled_[kLeft] != nullptr) return Flow::kContinue;
  EventTime low = std::min(watermarks_[kLeft], watermarks_[kRight]);
  // kMaxWatermark (both inputs ended) is implied by the EndOfStream that follows.
  if (low > emitted_watermark_ && low != kMaxWatermark) {
    emitted_watermark_ = low;
    return Forward(Message::Watermark(low));
  }
  return Flow::kContinue;
}

Result<Flow> HashJoinOperator::Push(int port, Message message) {
  SABOT_CHECK(port == kLeft || port == kRight);
  if (stopped_) return Flow::kStop;
  switch (message.kind()) {
    case MessageKind::kBatch:
      SABOT_CHECK(!ended_[port]);
      if (spilled_[port] != nullptr) {
        RETURN_NOT_OK(SpillBatch(port, message.batch()));
        return Flow::kContinue;
      }
      if (port == kRight) {
        RETURN_NOT_OK(builder_.Append(message.batch()));
        RETURN_NOT_OK(Account(kRight, *message.batch()));
        return Flow::kContinue;
      }
      if (!table_) {
        pending_left_.push_back(message.batch());
        pending_left_rows_ += message.batch()->num_rows();
        RETURN_NOT_OK(Account(kLeft, *message.batch()));
        return Flow::kContinue;
      }
      return ProbeBatch(message.batch());
    case MessageKind::kWatermark:
      watermarks_[port] = std::max(watermarks_[port], message.watermark());
      return AdvanceWatermark();
    case MessageKind::kIdle:
      return Flow::kContinue;  // the hash join's watermark waits for both sides
    case MessageKind::kCheckpointBarrier: {
      // Forwarded once every open input delivered it (unaligned, as in Union).
      const int open_inputs = static_cast<int>(!ended_[kLeft]) + static_cast<int>(!ended_[kRight]);
      int& arrivals = barrier_arrivals_[message.checkpoint_id()];
      if (++arrivals < open_inputs) return Flow::kContinue;
      barrier_arrivals_.erase(message.checkpoint_id());
      return Forward(std::move(message));
    }
    case MessageKind::kEndOfStream:
      SABOT_CHECK(!ended_[port]);  // one EndOfStream per input
      ended_[port] = true;
      watermarks_[port] = kMaxWatermark;
      return EndInput(port);
  }
  return Flow::kContinue;
}

Result<Flow> HashJoinOperator::EndInput(int port) {
  if (port == kRight && spilled_[kRight] == nullptr) {
    RETURN_NOT_OK(FinishBuild(builder_));
    auto pending = std::move(pending_left_);
    pending_left_.clear();
    pending_left_rows_ = 0;
    for (const auto& batch : pending) {
      ARROW_ASSIGN_OR_RAISE(auto flow, ProbeBatch(batch));
      if (flow == Flow::kStop) return flow;
    }
  }
  if (!ended_[kLeft] || !ended_[kRight]) return AdvanceWatermark();
  if (spilled_[kRight] != nullptr) {
    ARROW_ASSIGN_OR_RAISE(auto flow, JoinSpilledPartitions());
    if (flow == Flow::kStop) return flow;
  } else if (MarksBuildMatches(spec_.type) && build_matched_->Claim()) {
    ARROW_ASSIGN_OR_RAISE(auto flow, EmitBuildRows());
    if (flow == Flow::kStop) return flow;
  }
  table_.reset();
  reservation_.Resize(0);
  return Forward(Message::EndOfStream());
}

Status HashJoinOperator::UseBuildSide(std::shared_ptr<const JoinHashTable> table,
                                      std::shared_ptr<JoinBuildMatches> matched) {
  SABOT_CHECK(!ended_[kRight]);
  SABOT_CHECK(MarksBuildMatches(spec_.type) == (matched != nullptr));
  SABOT_CHECK(matched == nullptr || matched->num_rows() == table->num_rows());
  table_ = std::move(table);
  build_matched_ = std::move(matched);
  ended_[kRight] = true;
  watermarks_[kRight] = kMaxWatermark;
  return Status::OK();
}

Status HashJoinOperator::FinishBuild(JoinHashTableBuilder& builder) {
  ARROW_ASSIGN_OR_RAISE(table_, builder.Finish(BuildKeepsDistinctKeys(spec_)));
  if (MarksBuildMatches(spec_.type)) build_matched_ = std::make_shared<JoinBuildMatches>(table_->num_rows());
  return Status::OK();
}

Result<Flow> HashJoinOperator::ProbeBatch(const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  if (n == 0) {  // empty batches keep flowing with their schema
    ARROW_ASSIGN_OR_RAISE(auto empty, arrow::RecordBatch::MakeEmpty(output_schema()));
    return Forward(Message::Batch(std::move(empty)));
  }
  std::vector<std::shared_ptr<arrow::Array>> key_columns;
  for (int k : layout_.left_key_indices) key_columns.push_back(batch->column(k));
  ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(key_columns));
  heads_.resize(n);
  ends_.resize(n);
  const bool track_left = KeepsUnmatchedLeft(spec_.type) || spec_.type == JoinType::kSemi;
  if (track_left) probe_matched_.assign(n, 0);
  matches_.size = 0;
  // Chunks of rows small enough that what FindChains prefetched is still cached when
  // Probe reads it.
  for (int64_t begin = 0; begin < n; begin += kProbeChunkRows) {
    const int64_t end = std::min(n, begin + kProbeChunkRows);
    const int64_t passed = table_->FindChains(keys, begin, end, heads_.data(), ends_.data(), use_filter_);
    if (use_filter_) {
      filter_checked_ += end - begin;
      filter_passed_ += passed;
      if (filter_checked_ >= kFilterTrialRows && filter_passed_ * 2 > filter_checked_) use_filter_ = false;
    }
    auto cursor = JoinHashTable::StartProbe(heads_.data(), begin, end);
    bool done = false;
    while (!done) {
      done = table_->Probe(keys, heads_.data(), ends_.data(), end, &cursor, &matches_);
      if (matches_.size == matches_.capacity() || (done && end == n && matches_.size > 0)) {
        ARROW_ASSIGN_OR_RAISE(auto flow, FlushMatches(*batch));
        if (flow == Flow::kStop) return flow;
      }
    }
  }
  if (!track_left) return Flow::kContinue;

  // Semi keeps the matched rows; left, full and anti the unmatched ones.
  const uint8_t keep = spec_.type == JoinType::kSemi ? 1 : 0;
  std::vector<uint32_t> rows;
  for (int64_t i = 0; i < n; ++i) {
    if (probe_matched_[i] == keep) rows.push_back(static_cast<uint32_t>(i));
  }
  return EmitLeftRows(batch, rows);
}

Status HashJoinOperator::ApplyResidual(const arrow::RecordBatch& batch) {
  const int64_t n = matches_.size;
  arrow::ArrayVector columns;
  for (const auto& c : residual_columns_) {
    ARROW_ASSIGN_OR_RAISE(auto column, c.from_left ? TakeLeft(batch, c.index, matches_.probe_rows.data(), n)
                                                   : TakeRight(c.index, matches_.build_rows.data(), n));
    columns.push_back(std::move(column));
  }
  auto input = arrow::RecordBatch::Make(residual_schema_, n, std::move(columns));
  ARROW_ASSIGN_OR_RAISE(auto mask_array, residual_->Evaluate(*input));
  const auto& mask = static_cast<const arrow::BooleanArray&>(*mask_array);
  // Null is not true: the pair does not match.
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    matches_.probe_rows[kept] = matches_.probe_rows[i];
    matches_.build_rows[kept] = matches_.build_rows[i];
    kept += static_cast<int64_t>(mask.IsValid(i) && mask.Value(i));
  }
  matches_.size = kept;
  return Status::OK();
}

Result<Flow> HashJoinOperator::FlushMatches(const arrow::RecordBatch& batch) {
  if (residual_) RETURN_NOT_OK(ApplyResidual(batch));
  const int64_t n = matches_.size;
  matches_.size = 0;  // the pairs below stay readable until the next Probe
  const uint32_t* probe_rows = matches_.probe_rows.data();
  const uint32_t* build_rows = matches_.build_rows.data();
  if (!probe_matched_.empty()) {
    for (int64_t i = 0; i < n; ++i) probe_matched_[probe_rows[i]] = 1;
  }
  if (build_matched_ != nullptr) build_matched_->Set(build_rows, n);
  if (OutputsLeftOnly(spec_.type) || OutputsRightOnly(spec_.type) || n == 0) return Flow::kContinue;

  arrow::ArrayVector columns;
  for (int c : layout_.left_output) {
    ARROW_ASSIGN_OR_RAISE(auto column, TakeLeft(batch, c, probe_rows, n));
    columns.push_back(std::move(column));
  }
  for (int c : layout_.right_output) {
    ARROW_ASSIGN_OR_RAISE(auto column, TakeRight(c, build_rows, n));
    columns.push_back(std::move(column));
  }
  return Forward(Message::Batch(arrow::RecordBatch::Make(output_schema(), n, std::move(columns))));
}

Result<std::shared_ptr<arrow::Array>> HashJoinOperator::TakeLeft(const arrow::RecordBatch& batch, int column,
                                                                 const uint32_t* rows, int64_t n) const {
  // Probe rows in order without gaps (each matched once: the common foreign-key join)
  // need no copy.
  bool contiguous = n > 0;
  for (int64_t i = 1; i < n && contiguous; ++i) contiguous = rows[i] == rows[0] + i;
  if (contiguous) return batch.column(column)->Slice(rows[0], n);
  return arrow::compute::Take(*batch.column(column), *IndexArray(rows, n),
                              arrow::compute::TakeOptions::NoBoundsCheck());
}

Result<std::shared_ptr<arrow::Array>> HashJoinOperator::TakeRight(int column, const uint32_t* rows,
                                                                  int64_t n) const {
  return arrow::compute::Take(*table_->columns()[column], *IndexArray(rows, n),
                              arrow::compute::TakeOptions::NoBoundsCheck());
}

Result<Flow> HashJoinOperator::EmitLeftRows(const std::shared_ptr<arrow::RecordBatch>& batch,
                                            const std::vector<uint32_t>& rows) {
  const int64_t total = static_cast<int64_t>(rows.size());
  for (int64_t start = 0; start < total; start += kHashJoinMaxBatchRows) {
    const int64_t n = std::min(kHashJoinMaxBatchRows, total - start);
    arrow::ArrayVector columns;
    for (int c : layout_.left_output) {
      ARROW_ASSIGN_OR_RAISE(auto column, TakeLeft(*batch, c, rows.data() + start, n));
      columns.push_back(std::move(column));
    }
    for (int c : layout_.right_output) {
      ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(right_schema_->field(c)->type(), n));
      columns.push_back(std::move(nulls));
    }
    ARROW_ASSIGN_OR_RAISE(auto flow,
                          Forward(Message::Batch(arrow::RecordBatch::Make(output_schema(), n, std::move(columns)))));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

Result<Flow> HashJoinOperator::EmitBuildRows() {
  const bool matched = spec_.type == JoinType::kRightSemi;
  const std::vector<uint32_t> rows = build_matched_->Rows(0, build_matched_->num_rows(), matched);
  const int64_t total = static_cast<int64_t>(rows.size());
  for (int64_t start = 0; start < total; start += kHashJoinMaxBatchRows) {
    const int64_t n = std::min(kHashJoinMaxBatchRows, total - start);
    arrow::ArrayVector columns;
    for (int c : layout_.left_output) {
      ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(left_schema_->field(c)->type(), n));
      columns.push_back(std::move(nulls));
    }
    for (int c : layout_.right_output) {
      ARROW_ASSIGN_OR_RAISE(auto column, TakeRight(c, rows.data() + start, n));
      columns.push_back(std::move(column));
    }
    ARROW_ASSIGN_OR_RAISE(auto flow,
                          Forward(Message::Batch(arrow::RecordBatch::Make(output_schema(), n, std::move(columns)))));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

namespace {

Result<std::unique_ptr<HashJoinOperator>> MakeHashJoinOperator(const std::shared_ptr<arrow::Schema>& left,
                                                               const std::shared_ptr<arrow::Schema>& right,
                                                               const JoinSpec& spec,
                                                               std::shared_ptr<MemoryBudget> budget) {
  RETURN_NOT_OK(EnsureComputeInitialized());
  ARROW_ASSIGN_OR_RAISE(auto layout, ResolveJoin(left, right, spec));
  std::optional<BoundExpr> residual;
  if (spec.residual) {
    // Bound to every joined column for the checks and messages; the operator rebinds it
    // to the columns it reads.
    ARROW_ASSIGN_OR_RAISE(auto bound, Bind(*spec.residual, layout.joined_schema));
    if (bound.type()->id() != arrow::Type::BOOL) {
      return Status::TypeError("join residual `", spec.residual->ToString(), "` must be boolean, found ",
                               FormatDataType(*bound.type()));
    }
    arrow::FieldVector fields;
    for (const auto& name : spec.residual->ColumnRefs()) {
      fields.push_back(layout.joined_schema->GetFieldByName(name));
    }
    ARROW_ASSIGN_OR_RAISE(residual, Bind(*spec.residual, arrow::schema(std::move(fields))));
  }
  return std::make_unique<HashJoinOperator>(spec, std::move(layout), left, right, std::move(residual),
                                            std::move(budget));
}

}  // namespace

Result<std::unique_ptr<Operator>> MakeHashJoin(const std::shared_ptr<arrow::Schema>& left,
                                               const std::shared_ptr<arrow::Schema>& right,
                                               const JoinSpec& spec, std::shared_ptr<MemoryBudget> budget) {
  ARROW_ASSIGN_OR_RAISE(auto op, MakeHashJoinOperator(left, right, spec, std::move(budget)));
  return op;
}

Result<JoinBuildSide> BuildJoinSide(const std::shared_ptr<arrow::Schema>& left,
                                    const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec,
                                    const std::vector<std::shared_ptr<arrow::RecordBatch>>& right_batches,
                                    int threads) {
  ARROW_ASSIGN_OR_RAISE(auto layout, ResolveJoin(left, right, spec));
  JoinHashTableBuilder builder(right, layout.right_key_indices);
  int64_t value_bytes = 0;
  for (const auto& batch : right_batches) {
    RETURN_NOT_OK(builder.Append(batch));
    ARROW_ASSIGN_OR_RAISE(int64_t bytes, arrow::util::ReferencedBufferSize(*batch));
    value_bytes += bytes;
  }
  const int64_t rows = builder.num_rows();
  ARROW_ASSIGN_OR_RAISE(auto table, builder.Finish(BuildKeepsDistinctKeys(spec), threads));
  auto matched = MarksBuildMatches(spec.type) ? std::make_shared<JoinBuildMatches>(rows) : nullptr;
  return JoinBuildSide{right, std::move(table), std::move(matched), JoinBuildMemory(value_bytes, rows)};
}

Result<std::unique_ptr<Operator>> MakeHashJoinProbe(const std::shared_ptr<arrow::Schema>& left,
                                                    const JoinSpec& spec, const JoinBuildSide& build) {
  ARROW_ASSIGN_OR_RAISE(auto op, MakeHashJoinOperator(left, build.schema, spec, /*budget=*/nullptr));
  RETURN_NOT_OK(op->UseBuildSide(build.table, build.matched));
  return op;
}

}  // namespace sabot
