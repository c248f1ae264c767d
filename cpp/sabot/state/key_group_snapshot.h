// KeyGroupSnapshots: what an operator whose keyed state lives per key group offers to
// checkpointing and rescaling (state size per group, snapshot and restore of a range of
// groups), and the self-contained byte form those snapshots take.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/state/key_group.h"

namespace sabot {

//! An operator instance that owns the key groups of key_group_range() (out of
//! num_key_groups()) and keeps its keyed state per key group. The exchange routes to it
//! only rows of its groups; a snapshot of some of its groups restores into any instance
//! that owns them, so rescaling moves whole groups between instances.
class KeyGroupSnapshots {
 public:
  virtual ~KeyGroupSnapshots() = default;

  //! Makes this instance the owner of `range` (all groups until called); before any input.
  Status OwnKeyGroups(KeyGroupRange range, int num_key_groups = kDefaultKeyGroups);
  const KeyGroupRange& key_group_range() const { return range_; }
  int num_key_groups() const { return num_key_groups_; }

  //! Rows of state held per key group of key_group_range() (index: group - range.begin),
  //! as the operator's state_rows() counts them; they sum to state_rows().
  virtual Result<std::vector<int64_t>> StateRowsByKeyGroup() const = 0;

  //! The state of the groups in `groups` (within key_group_range()), self-contained:
  //! Arrow IPC bytes that RestoreKeyGroups of a fresh instance reads back.
  virtual Result<std::shared_ptr<arrow::Buffer>> SnapshotKeyGroups(KeyGroupRange groups) const = 0;

  //! Adds the state of a snapshot to this instance, which must own its groups and must
  //! not hold state of them yet. A snapshot of another operator, of other key groups or of
  //! another schema is an error naming what differs.
  virtual Status RestoreKeyGroups(const arrow::Buffer& snapshot) = 0;

 protected:
  KeyGroupSnapshots() = default;

 private:
  int num_key_groups_ = kDefaultKeyGroups;
  KeyGroupRange range_{0, kDefaultKeyGroups};
};

//! The decoded form of a snapshot: the groups it covers, the operator's event time then
//! (its watermark), and its sections (each operator decides what they hold).
struct KeyGroupSnapshotContents {
  std::string op;  // the operator's name()
  int num_key_groups = kDefaultKeyGroups;
  KeyGroupRange groups;
  int64_t watermark = 0;
  std::vector<std::shared_ptr<arrow::RecordBatch>> sections;
};

//! Arrow IPC bytes of `contents`: each section one IPC stream, length-prefixed, the first
//! carrying the header fields as schema metadata.
Result<std::shared_ptr<arrow::Buffer>> EncodeKeyGroupSnapshot(const KeyGroupSnapshotContents& contents);

//! Reads bytes EncodeKeyGroupSnapshot wrote for `owner` (operator `op`), checking that
//! the operator and key group count match and that `owner` owns the snapshot's groups,
//! and that it has `sections` sections whose schemas equal `schemas` where given
//! (non-null); errors name the difference.
Result<KeyGroupSnapshotContents> DecodeKeyGroupSnapshot(
    const arrow::Buffer& bytes, const std::string& op, const KeyGroupSnapshots& owner,
    const std::vector<std::shared_ptr<arrow::Schema>>& schemas);

//! The key group of each row of `batch` by `key_columns`, as uint16 (KeyGroupsOf).
//! Convenience for operators whose state is rows: the hash is taken when a snapshot or a
//! metric asks, never on the hot path.
Result<std::vector<uint16_t>> RowKeyGroups(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                                           int num_key_groups);

//! The rows of `batch` whose key group (`groups`, one per row) lies in `range`; null when
//! none do.
Result<std::shared_ptr<arrow::RecordBatch>> RowsInKeyGroups(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                            const std::vector<uint16_t>& groups,
                                                            KeyGroupRange range);

}  // namespace sabot
