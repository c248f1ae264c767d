// EventTimeJoinKeys: the key columns of the two inputs of an event-time join resolved to
// one id space, so both sides' state is indexed by the same dense key id.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/plan/join_spec.h"

namespace arrow::compute {
class Grouper;
}  // namespace arrow::compute

namespace sabot {

//! Key ids shared by both inputs: equal keys get the same id whichever side they came
//! from. Ids are dense, so per-key state lives in vectors indexed by id.
class EventTimeJoinKeys {
 public:
  ~EventTimeJoinKeys();
  EventTimeJoinKeys(EventTimeJoinKeys&&) noexcept;
  EventTimeJoinKeys& operator=(EventTimeJoinKeys&&) noexcept;

  //! Resolves `spec` (type, keys, suffix) against the inputs. `what` names the join in
  //! errors ("as-of join"). Errors also for key types that differ at all: both sides feed
  //! one hash table, so unlike the hash join a cast between integer widths is the caller's.
  static Result<EventTimeJoinKeys> Make(const std::shared_ptr<arrow::Schema>& left,
                                        const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec,
                                        const std::string& what);

  //! Left columns then right ones (suffixed on clash); the right nullable for kLeft.
  const std::shared_ptr<arrow::Schema>& output_schema() const { return output_schema_; }
  //! Input 0 is left, 1 right.
  const std::vector<int>& key_columns(int port) const { return key_columns_[port]; }

  //! The key id of each row of `batch` (from input `port`) into `ids`, and in `valid`
  //! whether the row's key has no null (SQL: a null key equals nothing).
  Status Ids(int port, const arrow::RecordBatch& batch, std::vector<uint32_t>* ids, std::vector<uint8_t>* valid);
  //! Ids handed out so far (all below this).
  uint32_t num_keys() const;

 private:
  EventTimeJoinKeys() = default;
  std::unique_ptr<arrow::compute::Grouper> grouper_;
  std::vector<int> key_columns_[2];
  std::shared_ptr<arrow::Schema> output_schema_;
};

}  // namespace sabot
