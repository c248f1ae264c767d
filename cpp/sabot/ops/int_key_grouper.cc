// IntKeyGrouper: linear probing over (key, id) slots, doubled at half load.
#include "sabot/ops/int_key_grouper.h"

#include "sabot/ops/mapping_grouper.h"

#include <arrow/array/data.h>
#include <arrow/buffer.h>
#include <arrow/compute/exec.h>
#include <arrow/type.h>
#include <arrow/util/bit_util.h>

namespace sabot {

namespace cp = arrow::compute;

bool IsIntKeyGroupable(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
      return true;
    default:
      return false;
  }
}

namespace {

constexpr uint32_t kEmpty = MappingGrouper::kNoGroup;

class IntKeyGrouper final : public MappingGrouper {
 public:
  explicit IntKeyGrouper(std::shared_ptr<arrow::DataType> type)
      : type_(std::move(type)), width_(type_->byte_width()) {
    Rehash(1 << 10);
  }

  Status Reset() override {
    uniques_.clear();
    null_id_ = kEmpty;
    Rehash(1 << 10);
    return Status::OK();
  }

  Result<cp::ExecBatch> GetUniques() override {
    const int64_t n = static_cast<int64_t>(uniques_.size());
    ARROW_ASSIGN_OR_RAISE(auto values, arrow::AllocateBuffer(n * width_));
    for (int64_t i = 0; i < n; ++i) Store(values->mutable_data(), i, uniques_[i]);
    std::shared_ptr<arrow::Buffer> validity;
    int64_t null_count = 0;
    if (null_id_ != kEmpty) {
      ARROW_ASSIGN_OR_RAISE(validity, arrow::AllocateBitmap(n));
      arrow::bit_util::SetBitsTo(validity->mutable_data(), 0, n, true);
      arrow::bit_util::ClearBit(validity->mutable_data(), null_id_);
      null_count = 1;
    }
    auto data = arrow::ArrayData::Make(type_, n, {std::move(validity), std::move(values)}, null_count);
    return cp::ExecBatch({arrow::Datum(std::move(data))}, n);
  }

  uint32_t num_groups() const override { return static_cast<uint32_t>(uniques_.size()); }

 private:
  int64_t Load(const uint8_t* values, int64_t i) const {
    switch (width_) {
      case 1: return reinterpret_cast<const int8_t*>(values)[i];
      case 2: return reinterpret_cast<const int16_t*>(values)[i];
      case 4: return reinterpret_cast<const int32_t*>(values)[i];
      default: return reinterpret_cast<const int64_t*>(values)[i];
    }
  }
  void Store(uint8_t* values, int64_t i, int64_t v) const {
    switch (width_) {
      case 1: reinterpret_cast<int8_t*>(values)[i] = static_cast<int8_t>(v); break;
      case 2: reinterpret_cast<int16_t*>(values)[i] = static_cast<int16_t>(v); break;
      case 4: reinterpret_cast<int32_t*>(values)[i] = static_cast<int32_t>(v); break;
      default: reinterpret_cast<int64_t*>(values)[i] = v; break;
    }
  }

  static uint64_t Hash(int64_t key) {
    // Fibonacci hashing: the high bits of the product spread consecutive keys well.
    return static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ULL;
  }

  void Rehash(size_t capacity) {
    std::vector<int64_t> keys(capacity);
    std::vector<uint32_t> ids(capacity, kEmpty);
    shift_ = 64 - arrow::bit_util::Log2(capacity);
    mask_ = capacity - 1;
    for (uint32_t id = 0; id < uniques_.size(); ++id) {
      if (id == null_id_) continue;
      size_t slot = Hash(uniques_[id]) >> shift_;
      while (ids[slot] != kEmpty) slot = (slot + 1) & mask_;
      keys[slot] = uniques_[id];
      ids[slot] = id;
    }
    slot_keys_ = std::move(keys);
    slot_ids_ = std::move(ids);
  }

  // The id of `key`, inserting it when `insert`; kEmpty when absent and not inserting.
  uint32_t Find(int64_t key, bool insert) {
    size_t slot = Hash(key) >> shift_;
    for (;;) {
      const uint32_t id = slot_ids_[slot];
      if (id == kEmpty) break;
      if (slot_keys_[slot] == key) return id;
      slot = (slot + 1) & mask_;
    }
    if (!insert) return kEmpty;
    const uint32_t id = static_cast<uint32_t>(uniques_.size());
    uniques_.push_back(key);
    slot_keys_[slot] = key;
    slot_ids_[slot] = id;
    if (uniques_.size() * 2 > slot_ids_.size()) Rehash(slot_ids_.size() * 2);
    return id;
  }

  Result<arrow::Datum> Map(const cp::ExecSpan& batch, int64_t offset, int64_t length, bool insert) override {
    if (batch.num_values() != 1 || !batch[0].is_array()) {
      return Status::Invalid("internal error (a bug in sabot): IntKeyGrouper takes one key array");
    }
    const arrow::ArraySpan& keys = batch[0].array;
    if (length < 0) length = keys.length - offset;
    ARROW_ASSIGN_OR_RAISE(auto out, arrow::AllocateBuffer(length * sizeof(uint32_t)));
    auto* ids = reinterpret_cast<uint32_t*>(out->mutable_data());
    const uint8_t* values = keys.buffers[1].data;
    const uint8_t* validity = keys.buffers[0].data;
    const int64_t base = keys.offset + offset;
    for (int64_t i = 0; i < length; ++i) {
      if (validity != nullptr && !arrow::bit_util::GetBit(validity, base + i)) {
        if (null_id_ == kEmpty && insert) {
          null_id_ = static_cast<uint32_t>(uniques_.size());
          uniques_.push_back(0);
        }
        ids[i] = null_id_;
      } else {
        ids[i] = Find(Load(values, base + i), insert);
      }
    }
    return GroupIds(std::move(out), length);
  }

  std::shared_ptr<arrow::DataType> type_;
  int width_;
  std::vector<int64_t> uniques_;  // by group id; the null group's slot holds 0
  uint32_t null_id_ = kEmpty;
  std::vector<int64_t> slot_keys_;
  std::vector<uint32_t> slot_ids_;
  int shift_ = 54;
  size_t mask_ = 0;
};

}  // namespace

Result<std::unique_ptr<cp::Grouper>> MakeIntKeyGrouper(std::shared_ptr<arrow::DataType> key_type) {
  if (!IsIntKeyGroupable(*key_type)) {
    return Status::Invalid("internal error (a bug in sabot): IntKeyGrouper cannot group ", key_type->ToString());
  }
  return std::make_unique<IntKeyGrouper>(std::move(key_type));
}

}  // namespace sabot
