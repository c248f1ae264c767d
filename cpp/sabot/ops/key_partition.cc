// PartitionRowsByKey over the join key hash.
#include "sabot/ops/key_partition.h"

#include <arrow/record_batch.h>

#include "sabot/ops/join_keys.h"

namespace sabot {

Result<std::vector<uint16_t>> PartitionRowsByKey(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                                                 int level) {
  SABOT_CHECK(level >= 0 && level < kMaxSpillLevels && !key_columns.empty());
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int k : key_columns) columns.push_back(batch.column(k));
  ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(columns));
  const int shift = 64 - kSpillPartitionBits * (level + 1);
  const uint64_t* hashes = keys.hashes();
  std::vector<uint16_t> out(batch.num_rows());
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    out[i] = keys.valid(i) ? static_cast<uint16_t>((hashes[i] >> shift) & (kSpillPartitions - 1)) : 0;
  }
  return out;
}

}  // namespace sabot
