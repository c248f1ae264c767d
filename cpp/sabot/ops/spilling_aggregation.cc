// SpillingAggregation: in-memory groups first, then one pass per spilled partition.
#include "sabot/ops/spilling_aggregation.h"

#include <arrow/api.h>

#include "sabot/common/type_names.h"
#include "sabot/ops/join_keys.h"
#include "sabot/ops/key_partition.h"

namespace sabot {

SpillingAggregation::SpillingAggregation(std::unique_ptr<HashAggregateState> state,
                                         std::shared_ptr<MemoryBudget> budget, int level)
    : state_(std::move(state)), reservation_(std::move(budget)), level_(level) {}

SpillingAggregation::~SpillingAggregation() = default;

Status SpillingAggregation::Consume(const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (partitions_ != nullptr) {
    ARROW_ASSIGN_OR_RAISE(auto rest, state_->ConsumeExistingGroups(batch));
    if (rest == nullptr || rest->num_rows() == 0) return Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto partition_of, PartitionRowsByKey(*rest, state_->key_columns(), level_));
    return partitions_->Append(rest, partition_of);
  }
  ARROW_RETURN_NOT_OK(state_->Consume(*batch));
  const int64_t need = state_->EstimatedMemory();
  const int64_t held = reservation_.bytes();
  if (reservation_.TryResize(need)) return Status::OK();
  const auto& budget = reservation_.budget();
  if (!budget->allow_spill()) return budget->ExceededError("hash aggregate", held, need - held);
  // The groups held stay (they are complete so far); the budget is passed by the groups
  // of this one batch.
  reservation_.Resize(need);
  // Without keys there is one group, which cannot be split; at the last level the rows
  // left are too alike to split further.
  if (state_->key_columns().empty() || level_ >= kMaxSpillLevels) return Status::OK();
  return StartSpilling();
}

Status SpillingAggregation::StartSpilling() {
  const auto& input = *state_->input_schema();
  for (int k : state_->key_columns()) {
    const auto& type = *input.field(k)->type();
    if (!IsSupportedJoinKeyType(type)) {
      return Status::NotImplemented("hash aggregate passed the job's memory budget and cannot spill: group key '",
                                    input.field(k)->name(), "' of type ", FormatDataType(type),
                                    " cannot be partitioned (supported: ", kSupportedJoinKeyTypes,
                                    "); raise --memory-limit");
    }
  }
  ARROW_ASSIGN_OR_RAISE(prototype_, state_->MakeEmpty());
  ARROW_ASSIGN_OR_RAISE(partitions_, SpilledPartitions::Make(reservation_.budget(), state_->input_schema(),
                                                             kSpillPartitions, "aggregate"));
  return Status::OK();
}

Result<Flow> SpillingAggregation::Finish(const EmitFn& emit) {
  {
    ARROW_ASSIGN_OR_RAISE(auto batches, state_->Finalize());
    state_.reset();
    for (auto& batch : batches) {
      ARROW_ASSIGN_OR_RAISE(Flow flow, emit(std::move(batch)));
      if (flow == Flow::kStop) return flow;
    }
  }
  reservation_.Resize(0);
  if (partitions_ == nullptr) return Flow::kContinue;
  ARROW_RETURN_NOT_OK(partitions_->Finish());
  for (int p = 0; p < partitions_->num_partitions(); ++p) {
    std::unique_ptr<SpillFile> file = partitions_->Release(p);
    if (file->num_rows() == 0) continue;
    ARROW_ASSIGN_OR_RAISE(auto state, prototype_->MakeEmpty());
    SpillingAggregation pass(std::move(state), reservation_.budget(), level_ + 1);
    {
      ARROW_ASSIGN_OR_RAISE(auto reader, file->OpenReader());
      while (true) {
        ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
        if (batch == nullptr) break;
        ARROW_RETURN_NOT_OK(pass.Consume(batch));
      }
    }
    file.reset();  // read: its disk space is free again
    ARROW_ASSIGN_OR_RAISE(Flow flow, pass.Finish(emit));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

}  // namespace sabot
