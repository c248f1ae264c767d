// The hash join under a memory budget: accounting its input state and, past the budget,
// the grace hash join over spilled partitions.
#include <tuple>

#include <arrow/api.h>
#include <arrow/util/byte_size.h>

#include "sabot/ops/hash_join.h"
#include "sabot/ops/key_partition.h"

namespace sabot {

namespace {


}  // namespace

Status HashJoinOperator::Account(int port, const arrow::RecordBatch& batch) {
  if (reservation_.budget() == nullptr || batch.num_rows() == 0) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(int64_t bytes, arrow::util::ReferencedBufferSize(batch));
  if (port == kRight) bytes = JoinBuildMemory(bytes, batch.num_rows());
  const int64_t held = reservation_.bytes();
  if (reservation_.TryResize(held + bytes)) return Status::OK();
  const auto& budget = reservation_.budget();
  if (!budget->allow_spill()) return budget->ExceededError("hash join build", held, bytes);
  return StartSpilling();
}

Status HashJoinOperator::StartSpilling() {
  const auto& budget = reservation_.budget();
  ARROW_ASSIGN_OR_RAISE(spilled_[kLeft],
                        SpilledPartitions::Make(budget, left_schema_, kSpillPartitions, "join-probe"));
  ARROW_ASSIGN_OR_RAISE(spilled_[kRight],
                        SpilledPartitions::Make(budget, right_schema_, kSpillPartitions, "join-build"));
  for (const auto& batch : builder_.TakeBatches()) RETURN_NOT_OK(SpillBatch(kRight, batch));
  auto pending = std::move(pending_left_);
  pending_left_.clear();
  pending_left_rows_ = 0;
  for (const auto& batch : pending) RETURN_NOT_OK(SpillBatch(kLeft, batch));
  reservation_.Resize(0);
  return Status::OK();
}

Status HashJoinOperator::SpillBatch(int port, const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (batch->num_rows() == 0) return Status::OK();
  const auto& keys = port == kLeft ? layout_.left_key_indices : layout_.right_key_indices;
  ARROW_ASSIGN_OR_RAISE(auto partition_of, PartitionRowsByKey(*batch, keys, 0));
  return spilled_[port]->Append(batch, partition_of);
}

Result<Flow> HashJoinOperator::JoinSpilledPartitions() {
  RETURN_NOT_OK(spilled_[kLeft]->Finish());
  RETURN_NOT_OK(spilled_[kRight]->Finish());
  for (int p = 0; p < kSpillPartitions; ++p) {
    ARROW_ASSIGN_OR_RAISE(auto flow, JoinPartition(spilled_[kRight]->Release(p), spilled_[kLeft]->Release(p), 1));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

Result<Flow> HashJoinOperator::JoinPartition(std::unique_ptr<SpillFile> build, std::unique_ptr<SpillFile> probe,
                                             int level) {
  // Nothing can come out of a partition without probe rows unless unmatched build rows
  // are kept, nor without build rows unless unmatched probe rows are.
  const bool keeps_unmatched_build = KeepsUnmatchedRight(spec_.type) || spec_.type == JoinType::kRightAnti;
  if (probe->num_rows() == 0 && !keeps_unmatched_build) return Flow::kContinue;
  if (build->num_rows() == 0 && !KeepsUnmatchedLeft(spec_.type) && spec_.type != JoinType::kAnti) {
    return Flow::kContinue;
  }
  const int64_t need = JoinBuildMemory(build->memory_bytes(), build->num_rows());
  if (!reservation_.TryResize(need)) {
    if (level < kMaxSpillLevels) {
      // Split both sides further with the next bits of the hash.
      const auto& budget = reservation_.budget();
      auto sub_build = SpilledPartitions::Make(budget, right_schema_, kSpillPartitions, "join-build");
      auto sub_probe = SpilledPartitions::Make(budget, left_schema_, kSpillPartitions, "join-probe");
      RETURN_NOT_OK(sub_build.status());
      RETURN_NOT_OK(sub_probe.status());
      for (auto [file, parts, keys] : {std::tuple{build.get(), sub_build->get(), &layout_.right_key_indices},
                                       std::tuple{probe.get(), sub_probe->get(), &layout_.left_key_indices}}) {
        ARROW_ASSIGN_OR_RAISE(auto reader, file->OpenReader());
        while (true) {
          ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
          if (batch == nullptr) break;
          ARROW_ASSIGN_OR_RAISE(auto partition_of, PartitionRowsByKey(*batch, *keys, level));
          RETURN_NOT_OK(parts->Append(batch, partition_of));
        }
        RETURN_NOT_OK(parts->Finish());
      }
      const int64_t build_rows = build->num_rows();
      build.reset();
      probe.reset();
      for (int p = 0; p < kSpillPartitions; ++p) {
        // All build rows in one sub-partition: one key (or a few colliding ones) holds
        // them, and splitting again would not help.
        const int next = (*sub_build)->partition(p).num_rows() == build_rows ? kMaxSpillLevels : level + 1;
        ARROW_ASSIGN_OR_RAISE(auto flow, JoinPartition((*sub_build)->Release(p), (*sub_probe)->Release(p), next));
        if (flow == Flow::kStop) return flow;
      }
      return Flow::kContinue;
    }
    // One key's rows alone pass the budget: hashing cannot split them.
    reservation_.Resize(need);
  }
  JoinHashTableBuilder builder(right_schema_, layout_.right_key_indices);
  {
    ARROW_ASSIGN_OR_RAISE(auto batches, ReadSpillFile(*build));
    for (auto& batch : batches) RETURN_NOT_OK(builder.Append(batch));
  }
  build.reset();
  RETURN_NOT_OK(FinishBuild(builder));
  ARROW_ASSIGN_OR_RAISE(auto reader, probe->OpenReader());
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
    if (batch == nullptr) break;
    ARROW_ASSIGN_OR_RAISE(auto flow, ProbeBatch(batch));
    if (flow == Flow::kStop) return flow;
  }
  if (MarksBuildMatches(spec_.type)) {
    ARROW_ASSIGN_OR_RAISE(auto flow, EmitBuildRows());
    if (flow == Flow::kStop) return flow;
  }
  table_.reset();
  build_matched_.reset();
  reservation_.Resize(0);
  return Flow::kContinue;
}

}  // namespace sabot
