// Key groups: the unit of keyed-state ownership. A stable hash of a key's canonical
// encoding picks its group, the same in every process, run and machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! Key groups of a job unless it asks for another number; rescaling moves whole groups.
inline constexpr int kDefaultKeyGroups = 128;

//! A contiguous range [begin, end) of key groups: what one task owns.
struct KeyGroupRange {
  int begin = 0;
  int end = kDefaultKeyGroups;
  bool Contains(int key_group) const { return key_group >= begin && key_group < end; }
};

//! The canonical encoding of each row's key (`key_columns` of `batch`): equal keys give
//! equal bytes whatever the integer width (all integers, dates and timestamps encode as
//! int64), floats as float64 with -0.0 = 0.0 and one NaN, strings and binaries with their
//! length, a null as its own tag. Other column types are an error naming the column.
Status EncodeKeys(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                  std::vector<std::string>* keys);

//! The stable hash of an encoded key (64-bit FNV-1a with a fixed seed, then mixed).
uint64_t StableKeyHash(const std::string& encoded_key);

//! The key group (< num_key_groups) of an encoded key.
inline int KeyGroupOf(const std::string& encoded_key, int num_key_groups) {
  return static_cast<int>(StableKeyHash(encoded_key) % static_cast<uint64_t>(num_key_groups));
}

}  // namespace sabot
