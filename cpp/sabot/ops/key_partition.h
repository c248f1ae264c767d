// Hash partitioning of rows by key columns, for operators that spill: equal keys always
// land in the same partition, on both sides of a join and at every recursion level.
#pragma once

#include <cstdint>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! Bits of the key hash one partitioning level uses: 16 partitions per level.
inline constexpr int kSpillPartitionBits = 4;
inline constexpr int kSpillPartitions = 1 << kSpillPartitionBits;
//! Levels of repartitioning before an operator stops splitting (a key whose rows alone
//! pass the budget cannot be split by hashing).
inline constexpr int kMaxSpillLevels = 8;

//! The partition (< kSpillPartitions) of each row of `batch` by the columns
//! `key_columns`, at recursion `level`: level 0 uses the top bits of the join key hash
//! (JoinKeys), each further level the next bits, so a partition splits evenly again. The
//! hash table's slots use the low bits, so a partition's table still spreads well. Rows
//! with a null in some key go to partition 0. Key types must be join key types.
Result<std::vector<uint16_t>> PartitionRowsByKey(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                                                 int level);

}  // namespace sabot
