// IntKeyGrouper: linear probing over packed (key, id) slots, doubled at three-quarters load.
#include "sabot/ops/int_key_grouper.h"

#include "sabot/common/table_memory.h"
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
    groups_ = 0;
    null_id_ = kEmpty;
    slots_.clear();  // Rehash carries over what the slots hold
    Rehash(1 << 10);
    return Status::OK();
  }

  Result<cp::ExecBatch> GetUniques() override {
    const int64_t n = groups_;
    ARROW_ASSIGN_OR_RAISE(auto values, arrow::AllocateBuffer(n * width_));
    // Each key is stored once, in its slot: each slot's key goes to its id's place.
    for (const Slot& slot : slots_) {
      if (slot.id != kEmpty) Store(values->mutable_data(), slot.id, slot.key);
    }
    if (null_id_ != kEmpty) Store(values->mutable_data(), null_id_, 0);
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

  uint32_t num_groups() const override { return groups_; }

 private:
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

  // A key and its group id side by side: a probe touches one cache line, not one in a
  // key array and another in an id array (the table of TPC-H Q18's 1.5M orders per
  // worker is far beyond the caches, so each new key was two misses). Packed into 12
  // bytes rather than padded to 16, and filled to three quarters rather than half: the
  // tables of Q18's 15M orders at SF10 were most of its memory, at 32 to 64 bytes a group
  // plus 8 to 16 for a separate array of the keys by id, which is gone too (GetUniques
  // reads the keys from the slots). Now 16 to 32 bytes a group.
#pragma pack(push, 4)
  struct Slot {
    int64_t key;
    uint32_t id;
  };
#pragma pack(pop)
  static_assert(sizeof(Slot) == 12);

  void Rehash(size_t capacity) {
    TableVector<Slot> slots(capacity, Slot{0, kEmpty});
    shift_ = 64 - arrow::bit_util::Log2(capacity);
    mask_ = capacity - 1;
    // The old slots in order: a key's slot is the top bits of its hash, so a larger table
    // keeps the keys' order and these writes sweep the new slots front to back. Going by
    // group id instead wrote to random slots, half of Q18's grouping time at SF1.
    for (const Slot& old : slots_) {
      if (old.id == kEmpty) continue;
      size_t slot = Hash(old.key) >> shift_;
      while (slots[slot].id != kEmpty) slot = (slot + 1) & mask_;
      slots[slot] = old;
    }
    slots_ = std::move(slots);
  }

  // The id of `key`, inserting it when `insert`; kEmpty when absent and not inserting.
  uint32_t Find(int64_t key, bool insert) {
    size_t slot = Hash(key) >> shift_;
    for (;;) {
      const Slot& s = slots_[slot];
      if (s.id == kEmpty) break;
      if (s.key == key) return s.id;
      slot = (slot + 1) & mask_;
    }
    if (!insert) return kEmpty;
    const uint32_t id = groups_++;
    slots_[slot] = Slot{key, id};
    if (static_cast<size_t>(groups_) * 4 > slots_.size() * 3) Rehash(slots_.size() * 2);
    return id;
  }

  // How many rows ahead a row's slot is prefetched: enough to cover a miss to memory
  // with the work of the rows in between.
  static constexpr int64_t kPrefetchRows = 16;

  template <typename T>
  void MapValues(const T* values, const uint8_t* validity, int64_t base, int64_t length, bool insert,
                 uint32_t* ids) {
    // A row with the previous row's key takes its id without a probe: input clustered by
    // the key (lineitem by l_orderkey, about 4 rows an order) repeats keys in runs.
    bool have_previous = false;
    int64_t previous_key = 0;
    uint32_t previous_id = kEmpty;
    for (int64_t i = 0; i < length; ++i) {
      if (i + kPrefetchRows < length) {
        __builtin_prefetch(&slots_[Hash(values[base + i + kPrefetchRows]) >> shift_]);
      }
      if (validity != nullptr && !arrow::bit_util::GetBit(validity, base + i)) {
        if (null_id_ == kEmpty && insert) null_id_ = groups_++;
        ids[i] = null_id_;
        continue;
      }
      const int64_t key = values[base + i];
      if (!have_previous || key != previous_key) {
        previous_id = Find(key, insert);
        previous_key = key;
        have_previous = true;
      }
      ids[i] = previous_id;
    }
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
    switch (width_) {
      case 1: MapValues(reinterpret_cast<const int8_t*>(values), validity, base, length, insert, ids); break;
      case 2: MapValues(reinterpret_cast<const int16_t*>(values), validity, base, length, insert, ids); break;
      case 4: MapValues(reinterpret_cast<const int32_t*>(values), validity, base, length, insert, ids); break;
      default: MapValues(reinterpret_cast<const int64_t*>(values), validity, base, length, insert, ids); break;
    }
    return GroupIds(std::move(out), length);
  }

  std::shared_ptr<arrow::DataType> type_;
  int width_;
  uint32_t groups_ = 0;  // group ids 0 .. groups_ - 1 are taken
  uint32_t null_id_ = kEmpty;
  TableVector<Slot> slots_;
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
