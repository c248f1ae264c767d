#include "sabot/ops/key_list_grouper.h"

#include <utility>
#include <vector>

#include <arrow/array/array_primitive.h>
#include <arrow/array/data.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_vector.h>

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
    list_of_table_.clear();
    return Status::OK();
  }

  Result<arrow::Datum> Consume(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    ARROW_RETURN_NOT_OK(EnsureTable());
    ARROW_ASSIGN_OR_RAISE(auto ids, table_->Consume(batch, offset, length));
    return ToListIds(std::move(ids));
  }
  Result<arrow::Datum> Lookup(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    ARROW_RETURN_NOT_OK(EnsureTable());
    ARROW_ASSIGN_OR_RAISE(auto ids, table_->Lookup(batch, offset, length));
    return ToListIds(std::move(ids));
  }
  Status Populate(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    ARROW_RETURN_NOT_OK(EnsureTable());
    return table_->Populate(batch, offset, length);
  }

  Result<cp::ExecBatch> GetUniques() override {
    if (table_ == nullptr) return keys_;
    ARROW_ASSIGN_OR_RAISE(cp::ExecBatch uniques, table_->GetUniques());
    if (list_of_table_.empty()) return uniques;
    // Our group j is the table's group t where list_of_table_[t] = j for the listed keys,
    // j itself after them.
    std::vector<uint32_t> order(static_cast<size_t>(uniques.length));
    for (size_t j = list_of_table_.size(); j < order.size(); ++j) order[j] = static_cast<uint32_t>(j);
    for (size_t t = 0; t < list_of_table_.size(); ++t) order[list_of_table_[t]] = static_cast<uint32_t>(t);
    arrow::UInt32Array indices(uniques.length, arrow::Buffer::Wrap(order));
    std::vector<arrow::Datum> columns;
    for (const auto& value : uniques.values) {
      ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(value, arrow::Datum(indices)));
      columns.push_back(std::move(taken));
    }
    return cp::ExecBatch::Make(std::move(columns), uniques.length);
  }

  uint32_t num_groups() const override {
    return table_ != nullptr ? table_->num_groups() : static_cast<uint32_t>(keys_.length);
  }

 private:
  // Builds the table from the list. A table may number the listed keys otherwise than by
  // their places (DictKeyGrouper numbers by its codes), so the ids it gives are translated
  // to the places from then on; keys added later keep the table's ids, which come after.
  Status EnsureTable() {
    if (table_ != nullptr) return Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto table, make_table_());
    const int64_t n = keys_.length;
    if (n > 0) {
      ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, table->Consume(cp::ExecSpan(keys_)));
      const uint32_t* id = ids.array()->GetValues<uint32_t>(1);
      if (table->num_groups() != static_cast<uint32_t>(n)) {
        return Status::Invalid("internal error (a bug in sabot): a key list of ", n, " keys made ",
                               table->num_groups(), " groups: its keys are not distinct");
      }
      bool in_place = true;
      for (int64_t i = 0; i < n; ++i) in_place = in_place && id[i] == static_cast<uint32_t>(i);
      if (!in_place) {
        list_of_table_.assign(static_cast<size_t>(n), 0);
        for (int64_t i = 0; i < n; ++i) list_of_table_[id[i]] = static_cast<uint32_t>(i);
      }
    }
    table_ = std::move(table);
    keys_ = cp::ExecBatch({}, 0);
    return Status::OK();
  }

  // The table's ids (a uint32 array, null where Lookup found nothing) as ours, at the
  // same offset, so the validity bitmap stays as it is.
  Result<arrow::Datum> ToListIds(arrow::Datum ids) const {
    if (list_of_table_.empty()) return ids;
    const arrow::ArrayData& data = *ids.array();
    ARROW_ASSIGN_OR_RAISE(auto out, arrow::AllocateBuffer((data.offset + data.length) *
                                                          static_cast<int64_t>(sizeof(uint32_t))));
    const uint32_t* in = data.GetValues<uint32_t>(1);
    auto* translated = reinterpret_cast<uint32_t*>(out->mutable_data()) + data.offset;
    const uint32_t listed = static_cast<uint32_t>(list_of_table_.size());
    // An id under a null slot is garbage; translating it is harmless, reading past the list is not.
    for (int64_t i = 0; i < data.length; ++i) translated[i] = in[i] < listed ? list_of_table_[in[i]] : in[i];
    auto result = data.Copy();
    result->buffers[1] = std::move(out);
    return arrow::Datum(std::move(result));
  }

  cp::ExecBatch keys_;  // the list, until the table is built
  GrouperFactory make_table_;
  std::unique_ptr<cp::Grouper> table_;  // null until a row is mapped
  std::vector<uint32_t> list_of_table_;  // the table's id -> the key's place; empty when equal
};

}  // namespace

std::unique_ptr<cp::Grouper> MakeKeyListGrouper(cp::ExecBatch keys, GrouperFactory make_table) {
  return std::make_unique<KeyListGrouper>(std::move(keys), std::move(make_table));
}

}  // namespace sabot
