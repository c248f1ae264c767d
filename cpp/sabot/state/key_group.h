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
//! int64), floats as float64 with -0.0 = 0.0 and one NaN, decimals as their unscaled value
//! (any width) and scale, strings and binaries with their length, a dictionary-encoded
//! key as its value, a null as its own tag. Other column types are an error naming the
//! column.
Status EncodeKeys(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                  std::vector<std::string>* keys);

//! Whether EncodeKeys and HashKeys take a key column of `type`.
bool IsStableKeyType(const arrow::DataType& type);

//! The stable hash of an encoded key (64-bit FNV-1a with a fixed seed, then mixed).
uint64_t StableKeyHash(const std::string& encoded_key);

//! StableKeyHash of every row's encoded key, computed column by column without building
//! the encodings (what an exchange runs on every row); equal to the per-row path.
Status HashKeys(const arrow::RecordBatch& batch, const std::vector<int>& key_columns, std::vector<uint64_t>* hashes);

//! The key group (< num_key_groups) of an encoded key.
inline int KeyGroupOf(const std::string& encoded_key, int num_key_groups) {
  return static_cast<int>(StableKeyHash(encoded_key) % static_cast<uint64_t>(num_key_groups));
}

//! KeyGroupOf every row, by HashKeys (`num_key_groups` at most 65536).
Status KeyGroupsOf(const arrow::RecordBatch& batch, const std::vector<int>& key_columns, int num_key_groups,
                   std::vector<uint16_t>* groups);

//! The owner (< owners) of `key_group`: owners hold contiguous ranges of groups, so that
//! a rescale moves whole ranges (see KeyGroupRangeOf).
inline int KeyGroupOwner(int key_group, int owners, int num_key_groups = kDefaultKeyGroups) {
  return static_cast<int>(static_cast<int64_t>(key_group) * owners / num_key_groups);
}

//! The key groups KeyGroupOwner gives to `owner`.
inline KeyGroupRange KeyGroupRangeOf(int owner, int owners, int num_key_groups = kDefaultKeyGroups) {
  // The smallest g with g * owners / num_key_groups >= owner.
  auto first = [&](int o) {
    return static_cast<int>((static_cast<int64_t>(o) * num_key_groups + owners - 1) / owners);
  };
  return KeyGroupRange{first(owner), first(owner + 1)};
}

}  // namespace sabot
