#include "sabot/ops/key_list_grouper.h"

#include <utility>

namespace sabot {

namespace cp = arrow::compute;

namespace {

class KeyListGrouper final : public cp::Grouper {
 public:
  KeyListGrouper(cp::ExecBatch keys, GrouperFactory make_table)
      : keys_(std::move(keys)), make_table_(std::move(make_table)) {}

  Status Reset() override {
    ARROW_ASSIGN_OR_RAISE(table_, make_table_());
    keys_ = cp::ExecBatch({}, 0);
    return Status::OK();
  }

  Result<arrow::Datum> Consume(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    ARROW_RETURN_NOT_OK(EnsureTable());
    return table_->Consume(batch, offset, length);
  }
  Result<arrow::Datum> Lookup(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    ARROW_RETURN_NOT_OK(EnsureTable());
    return table_->Lookup(batch, offset, length);
  }
  Status Populate(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    ARROW_RETURN_NOT_OK(EnsureTable());
    return table_->Populate(batch, offset, length);
  }

  Result<cp::ExecBatch> GetUniques() override {
    if (table_ != nullptr) return table_->GetUniques();
    return keys_;
  }

  uint32_t num_groups() const override {
    return table_ != nullptr ? table_->num_groups() : static_cast<uint32_t>(keys_.length);
  }

 private:
  Status EnsureTable() {
    if (table_ != nullptr) return Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto table, make_table_());
    if (keys_.length > 0) {
      ARROW_RETURN_NOT_OK(table->Populate(cp::ExecSpan(keys_)));
      if (table->num_groups() != static_cast<uint32_t>(keys_.length)) {
        return Status::Invalid("internal error (a bug in sabot): a key list of ", keys_.length, " keys made ",
                               table->num_groups(), " groups: its keys are not distinct");
      }
    }
    table_ = std::move(table);
    keys_ = cp::ExecBatch({}, 0);
    return Status::OK();
  }

  cp::ExecBatch keys_;
  GrouperFactory make_table_;
  std::unique_ptr<cp::Grouper> table_;  // null until a row is mapped
};

}  // namespace

std::unique_ptr<cp::Grouper> MakeKeyListGrouper(cp::ExecBatch keys, GrouperFactory make_table) {
  return std::make_unique<KeyListGrouper>(std::move(keys), std::move(make_table));
}

}  // namespace sabot
