// Internals shared by the accumulator families: validity-aware loops over value
// buffers, result arrays from per-group vectors, and the family factories.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/array/builder_binary.h>
#include <arrow/array/data.h>
#include <arrow/buffer.h>
#include <arrow/type.h>
#include <arrow/util/bit_run_reader.h>
#include <arrow/util/bit_util.h>

#include "sabot/common/table_memory.h"
#include "sabot/ops/aggregate_accumulator.h"

namespace sabot::aggregate_internal {

//! One entry per group: an accumulator's state, grown as groups arrive. A table vector
//! (see table_memory.h): a merge lane's state of a million groups is megabytes, which
//! glibc kept in the lane thread's arena after each growth.
template <typename T>
using GroupVector = TableVector<T>;

//! A decimal128 value as Arrow stores it, the low word first: the accumulators read a
//! decimal128 column in place as these (8-byte aligned, where an __int128 load may assume
//! 16) and compute with the 128-bit integer, the unscaled value. Decimal32 and decimal64
//! columns are read as int32_t and int64_t.
struct Decimal128Bits {
  uint64_t low;
  int64_t high;

  operator __int128() const {  // NOLINT: converts where an integer is wanted, as int32_t would
    return static_cast<__int128>((static_cast<unsigned __int128>(static_cast<uint64_t>(high)) << 64) | low);
  }
  friend bool operator<(Decimal128Bits a, Decimal128Bits b) {
    return static_cast<__int128>(a) < static_cast<__int128>(b);
  }
};
static_assert(sizeof(Decimal128Bits) == 16);

inline bool MayHaveNulls(const arrow::ArraySpan& values) {
  return values.buffers[0].data != nullptr && values.null_count != 0;
}

inline bool IsValid(const arrow::ArraySpan& values, int64_t i) {
  return values.buffers[0].data == nullptr ||
         arrow::bit_util::GetBit(values.buffers[0].data, values.offset + i);
}

//! Calls f(i) for every non-null row i < length. Without nulls it is one plain loop;
//! with nulls it walks runs of set validity bits, so dense data stays a tight loop.
template <typename F>
inline void ForEachValid(const arrow::ArraySpan& values, int64_t length, F&& f) {
  if (!MayHaveNulls(values)) {
    for (int64_t i = 0; i < length; ++i) f(i);
    return;
  }
  arrow::internal::VisitSetBitRunsVoid(values.buffers[0].data, values.offset, length,
                                       [&](int64_t position, int64_t run) {
                                         for (int64_t i = position; i < position + run; ++i) f(i);
                                       });
}

//! With few groups consecutive rows mostly update the same group, and each update waits
//! for the previous one's store to that slot: a dependency through memory of ~10 cycles a
//! row (TPC-H Q1: 4 groups, 5.9M rows, 8 aggregates). Accumulators of up to kLaneGroups
//! groups then fold a batch into kLanes copies of their state, row i into copy i %
//! kLanes, whose updates are independent and overlap, and add the copies up after it.
inline constexpr uint32_t kLaneGroups = 16;
inline constexpr int kLanes = 4;

//! kLanes copies of one value per group (zero), for a batch's rows.
template <typename T>
struct Lanes {
  T& at(int64_t row, uint32_t group) { return lanes[row & (kLanes - 1)][group]; }
  //! Adds every copy into `into` (num_groups values), lane by lane.
  void AddTo(T* into, uint32_t num_groups) const {
    for (uint32_t g = 0; g < num_groups; ++g) {
      for (int l = 0; l < kLanes; ++l) into[g] += lanes[l][g];
    }
  }
  T lanes[kLanes][kLaneGroups] = {};
};

//! A validity bitmap from one byte per group (nonzero = valid); nullptr when all valid.
Result<std::shared_ptr<arrow::Buffer>> BitmapFromBytes(std::span<const uint8_t> valid, int64_t* null_count);

//! A fixed-width array of `type` over `data` (`length` values), null where `valid` (one
//! byte per value, if given) is zero.
Result<std::shared_ptr<arrow::Array>> FixedWidthArrayOver(const std::shared_ptr<arrow::DataType>& type,
                                                          int64_t length, std::shared_ptr<arrow::Buffer> data,
                                                          const uint8_t* valid);

//! A fixed-width array of `type` whose values are a copy of `values` (a vector whose
//! entries have the type's C layout), null where `valid` (if given) is zero.
template <typename Values>
Result<std::shared_ptr<arrow::Array>> MakeFixedWidthArray(const std::shared_ptr<arrow::DataType>& type,
                                                          const Values& values, const uint8_t* valid) {
  using T = typename Values::value_type;
  const int64_t length = static_cast<int64_t>(values.size());
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> data,
                        arrow::AllocateBuffer(length * static_cast<int64_t>(sizeof(T))));
  if (length > 0) std::memcpy(data->mutable_data(), values.data(), length * sizeof(T));
  return FixedWidthArrayOver(type, length, std::move(data), valid);
}

//! An Arrow buffer that owns a GroupVector's memory: Finalize hands a state's values to
//! its result without copying them (TPC-H Q18's sums of 15M orders were 120 MB copied
//! while the state still held its own).
template <typename T>
class GroupVectorBuffer final : public arrow::Buffer {
 public:
  explicit GroupVectorBuffer(GroupVector<T> values) : arrow::Buffer(nullptr, 0), values_(std::move(values)) {
    data_ = reinterpret_cast<const uint8_t*>(values_.data());
    size_ = capacity_ = static_cast<int64_t>(values_.size() * sizeof(T));
  }

 private:
  GroupVector<T> values_;
};

//! MakeFixedWidthArray over a state's own values, which the array then owns.
template <typename T>
Result<std::shared_ptr<arrow::Array>> MakeFixedWidthArray(const std::shared_ptr<arrow::DataType>& type,
                                                          GroupVector<T>&& values, const uint8_t* valid) {
  const int64_t length = static_cast<int64_t>(values.size());
  return FixedWidthArrayOver(type, length, std::make_shared<GroupVectorBuffer<T>>(std::move(values)), valid);
}

//! A boolean array from one byte per group (nonzero = true), null where `valid` (one
//! byte per value, if given) is zero.
Result<std::shared_ptr<arrow::Array>> MakeBooleanArray(std::span<const uint8_t> values, const uint8_t* valid);

//! A string/binary array (any of the four offset widths' types) from per-group strings.
Result<std::shared_ptr<arrow::Array>> MakeBinaryArray(const std::shared_ptr<arrow::DataType>& type,
                                                      const std::vector<std::string>& values,
                                                      std::span<const uint8_t> valid);

//! Reads value i of a string/binary array with 32- or 64-bit offsets.
template <typename Offset>
inline std::string_view BinaryValue(const arrow::ArraySpan& values, int64_t i) {
  const Offset* offsets = values.GetValues<Offset>(1);
  const char* data = reinterpret_cast<const char*>(values.buffers[2].data);
  return std::string_view(data + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]));
}

//! Bytes of each group's state for SaveState: row g holds fields[g] of every field (plain
//! values, in order), then (*strings)[g] when `strings` is given.
template <typename... Fields>
Result<std::shared_ptr<arrow::Array>> PackGroups(uint32_t num_groups, const std::vector<std::string>* strings,
                                                 const Fields&... fields) {
  arrow::BinaryBuilder builder;
  std::string row;
  for (uint32_t g = 0; g < num_groups; ++g) {
    row.clear();
    (row.append(reinterpret_cast<const char*>(&fields[g]), sizeof(typename Fields::value_type)), ...);
    if (strings != nullptr) row.append((*strings)[g]);
    ARROW_RETURN_NOT_OK(builder.Append(row));
  }
  return builder.Finish();
}

//! Reads what PackGroups wrote into `fields` (and `strings`), one entry per row; a row of
//! another width is an error.
template <typename... Fields>
Status UnpackGroups(const arrow::Array& packed, std::vector<std::string>* strings, Fields&... fields) {
  constexpr size_t kWidth = (sizeof(typename Fields::value_type) + ... + 0);
  if (packed.type_id() != arrow::Type::BINARY || packed.null_count() != 0) {
    return Status::Invalid("aggregate state: expected a binary array without nulls, found ",
                           packed.type()->ToString());
  }
  const auto& rows = static_cast<const arrow::BinaryArray&>(packed);
  const auto n = static_cast<size_t>(rows.length());
  (fields.resize(n), ...);
  if (strings != nullptr) strings->resize(n);
  for (size_t g = 0; g < n; ++g) {
    const std::string_view row = rows.GetView(static_cast<int64_t>(g));
    if (row.size() < kWidth || (strings == nullptr && row.size() != kWidth)) {
      return Status::Invalid("aggregate state: group ", g, " has ", row.size(), " bytes, expected ",
                             strings == nullptr ? "" : "at least ", kWidth);
    }
    const char* in = row.data();
    ((std::memcpy(&fields[g], in, sizeof(typename Fields::value_type)), in += sizeof(typename Fields::value_type)), ...);
    if (strings != nullptr) (*strings)[g].assign(in, row.size() - kWidth);
  }
  return Status::OK();
}

//! The output type and group count every accumulator keeps.
class AccumulatorBase : public GroupedAccumulator {
 public:
  uint32_t num_groups() const override { return num_groups_; }
  const std::shared_ptr<arrow::DataType>& output_type() const override { return output_type_; }

 protected:
  explicit AccumulatorBase(std::shared_ptr<arrow::DataType> output_type)
      : output_type_(std::move(output_type)) {}

  //! Merge's `other` as this accumulator's own class (MakeAccumulator guarantees it).
  template <typename Self>
  static Result<Self*> Same(GroupedAccumulator& other) {
    auto* same = dynamic_cast<Self*>(&other);
    SABOT_CHECK(same != nullptr);
    return same;
  }

  uint32_t num_groups_ = 0;
  std::shared_ptr<arrow::DataType> output_type_;
};

bool IsIntegerType(const arrow::DataType& type);
bool IsFloatingType(const arrow::DataType& type);  // float32, float64
bool IsBinaryLikeType(const arrow::DataType& type);  // string, binary, large_*

// Family factories; `spec.function` selects within the family, the type was not
// checked yet (each returns the user error for a type it does not take).
Result<std::unique_ptr<GroupedAccumulator>> MakeCountAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type);
Result<std::unique_ptr<GroupedAccumulator>> MakeCountDistinctAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type);
Result<std::unique_ptr<GroupedAccumulator>> MakeNumericAccumulator(  // sum, mean, var, stddev
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type);
Result<std::unique_ptr<GroupedAccumulator>> MakeMinMaxAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type);
Result<std::unique_ptr<GroupedAccumulator>> MakeFirstLastAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type);

}  // namespace sabot::aggregate_internal
