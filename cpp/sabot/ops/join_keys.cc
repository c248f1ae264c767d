// Normalizing, hashing and comparing join key columns with typed loops over raw buffers.
#include "sabot/ops/join_keys.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <arrow/array.h>
#include <arrow/type.h>
#include <arrow/type_traits.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/hashing.h>

#include "sabot/common/mix64.h"
#include "sabot/exec/task_pool.h"

namespace sabot {

namespace {

// Rows a worker hashes at a time: a few hundred microseconds of work.
constexpr int64_t kHashChunkRows = 1 << 16;

constexpr uint64_t kCombine = 0x9E3779B97F4A7C15ULL;

template <typename T>
void Widen(const T* values, int64_t n, std::vector<uint64_t>* out) {
  out->resize(n);
  uint64_t* dst = out->data();
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<uint64_t>(static_cast<int64_t>(values[i]));
}

template <typename T>
void WidenFloat(const T* values, int64_t n, std::vector<uint64_t>* out) {
  out->resize(n);
  uint64_t* dst = out->data();
  const double canonical_nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t i = 0; i < n; ++i) {
    double d = static_cast<double>(values[i]);
    if (d == 0.0) d = 0.0;  // -0.0 == 0.0
    if (std::isnan(d)) d = canonical_nan;
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    dst[i] = bits;
  }
}

template <typename Offset>
void HashBinary(const Offset* offsets, const uint8_t* data, int64_t begin, int64_t end, bool first,
                uint64_t* hashes) {
  for (int64_t i = begin; i < end; ++i) {
    uint64_t h = arrow::internal::ComputeStringHash<0>(data + offsets[i], offsets[i + 1] - offsets[i]);
    hashes[i] = first ? Mix64(h) : Mix64(hashes[i] ^ (h * kCombine));
  }
}

template <typename Offset>
void MatchBinary(const Offset* po, const uint8_t* pd, const Offset* bo, const uint8_t* bd,
                 const uint32_t* probe_rows, const uint32_t* build_rows, int64_t n, uint8_t* match) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t p = probe_rows[i];
    const uint32_t b = build_rows[i];
    const Offset plen = po[p + 1] - po[p];
    const Offset blen = bo[b + 1] - bo[b];
    // memcmp must not see the null data pointer of an all-empty column.
    match[i] &= static_cast<uint8_t>(plen == blen && (plen == 0 || std::memcmp(pd + po[p], bd + bo[b], plen) == 0));
  }
}

}  // namespace

bool IsSupportedJoinKeyType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::BOOL:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
    case arrow::Type::DECIMAL128:
      return true;
    default:
      return false;
  }
}

bool AreComparableJoinKeyTypes(const arrow::DataType& left, const arrow::DataType& right) {
  if (arrow::is_integer(left.id()) && arrow::is_integer(right.id())) return true;
  return left.Equals(right);
}

Result<JoinKeyColumn> JoinKeyColumn::Make(std::shared_ptr<arrow::Array> array) {
  JoinKeyColumn col;
  const arrow::ArrayData& data = *array->data();
  const int64_t n = data.length;
  switch (data.type->id()) {
    case arrow::Type::INT8:
      Widen(data.GetValues<int8_t>(1), n, &col.owned_);
      break;
    case arrow::Type::INT16:
      Widen(data.GetValues<int16_t>(1), n, &col.owned_);
      break;
    case arrow::Type::INT32:
    case arrow::Type::DATE32:
    case arrow::Type::TIME32:
      Widen(data.GetValues<int32_t>(1), n, &col.owned_);
      break;
    case arrow::Type::UINT8:
      Widen(data.GetValues<uint8_t>(1), n, &col.owned_);
      break;
    case arrow::Type::UINT16:
      Widen(data.GetValues<uint16_t>(1), n, &col.owned_);
      break;
    case arrow::Type::UINT32:
      Widen(data.GetValues<uint32_t>(1), n, &col.owned_);
      break;
    case arrow::Type::INT64:
    case arrow::Type::UINT64:
    case arrow::Type::DATE64:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
      col.raw_words_ = data.GetValues<uint64_t>(1);
      break;
    case arrow::Type::BOOL: {
      col.owned_.resize(n);
      const uint8_t* bits = data.buffers[1] ? data.buffers[1]->data() : nullptr;
      for (int64_t i = 0; i < n; ++i) col.owned_[i] = arrow::bit_util::GetBit(bits, data.offset + i);
      break;
    }
    case arrow::Type::FLOAT:
      WidenFloat(data.GetValues<float>(1), n, &col.owned_);
      break;
    case arrow::Type::DOUBLE:
      WidenFloat(data.GetValues<double>(1), n, &col.owned_);
      break;
    case arrow::Type::DECIMAL128:
      col.layout_ = Layout::kWord128;
      col.raw_words_ = reinterpret_cast<const uint64_t*>(
          static_cast<const arrow::FixedSizeBinaryArray&>(*array).raw_values());
      break;
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      col.layout_ = Layout::kBinary32;
      col.offsets32_ = data.GetValues<int32_t>(1);
      col.data_ = data.buffers[2] ? data.buffers[2]->data() : nullptr;
      break;
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      col.layout_ = Layout::kBinary64;
      col.offsets64_ = data.GetValues<int64_t>(1);
      col.data_ = data.buffers[2] ? data.buffers[2]->data() : nullptr;
      break;
    default:
      return Status::TypeError("type ", data.type->ToString(), " cannot be a join key (supported: ",
                               kSupportedJoinKeyTypes, ")");
  }
  col.array_ = std::move(array);
  return col;
}

Result<JoinKeys> JoinKeys::Make(const std::vector<std::shared_ptr<arrow::Array>>& columns, int threads) {
  SABOT_CHECK(!columns.empty());
  JoinKeys keys;
  const int64_t n = columns.front()->length();
  keys.num_rows_ = n;
  bool nulls = false;
  for (const auto& column : columns) {
    SABOT_CHECK(column->length() == n);
    ARROW_ASSIGN_OR_RAISE(auto col, JoinKeyColumn::Make(column));
    keys.columns_.push_back(std::move(col));
    nulls = nulls || column->null_count() > 0;
  }
  keys.hashes_.resize(n);
  if (nulls) keys.valid_.resize(n);
  // Rows are hashed independently, so the workers claim chunks of them.
  RunClaimedChunks(std::max(1, threads), n, kHashChunkRows,
                   [&](int64_t, int64_t begin, int64_t end) { keys.HashRows(columns, begin, end); });
  return keys;
}

void JoinKeys::HashRows(const std::vector<std::shared_ptr<arrow::Array>>& arrays, int64_t begin, int64_t end) {
  uint64_t* hashes = hashes_.data();
  for (size_t c = 0; c < columns_.size(); ++c) {
    const JoinKeyColumn& col = columns_[c];
    const bool first = c == 0;
    const uint64_t* w = col.words();
    switch (col.layout()) {
      case JoinKeyColumn::Layout::kWord64:
        if (first) {
          for (int64_t i = begin; i < end; ++i) hashes[i] = Mix64(w[i]);
        } else {
          for (int64_t i = begin; i < end; ++i) hashes[i] = Mix64(hashes[i] ^ (Mix64(w[i]) * kCombine));
        }
        break;
      case JoinKeyColumn::Layout::kWord128:
        for (int64_t i = begin; i < end; ++i) {
          uint64_t h = Mix64(w[2 * i] ^ Mix64(w[2 * i + 1] + kCombine));
          hashes[i] = first ? h : Mix64(hashes[i] ^ (h * kCombine));
        }
        break;
      case JoinKeyColumn::Layout::kBinary32:
        HashBinary(col.offsets32(), col.data(), begin, end, first, hashes);
        break;
      case JoinKeyColumn::Layout::kBinary64:
        HashBinary(col.offsets64(), col.data(), begin, end, first, hashes);
        break;
    }
  }
  if (valid_.empty()) return;
  std::fill(valid_.begin() + begin, valid_.begin() + end, uint8_t{1});
  for (const auto& array : arrays) {
    const arrow::ArrayData& data = *array->data();
    if (data.GetNullCount() == 0) continue;
    const uint8_t* bits = data.buffers[0]->data();
    for (int64_t i = begin; i < end; ++i) {
      valid_[i] &= static_cast<uint8_t>(arrow::bit_util::GetBit(bits, data.offset + i));
    }
  }
}

void MatchJoinKeys(const JoinKeys& probe, const uint32_t* probe_rows, const JoinKeys& build,
                   const uint32_t* build_rows, int64_t n, uint8_t* match) {
  for (size_t c = 0; c < probe.columns().size(); ++c) {
    const JoinKeyColumn& pc = probe.columns()[c];
    const JoinKeyColumn& bc = build.columns()[c];
    const uint64_t* pw = pc.words();
    const uint64_t* bw = bc.words();
    switch (pc.layout()) {
      case JoinKeyColumn::Layout::kWord64:
        for (int64_t i = 0; i < n; ++i) match[i] &= static_cast<uint8_t>(pw[probe_rows[i]] == bw[build_rows[i]]);
        break;
      case JoinKeyColumn::Layout::kWord128:
        for (int64_t i = 0; i < n; ++i) {
          const uint64_t* a = pw + 2 * static_cast<int64_t>(probe_rows[i]);
          const uint64_t* b = bw + 2 * static_cast<int64_t>(build_rows[i]);
          match[i] &= static_cast<uint8_t>(a[0] == b[0] && a[1] == b[1]);
        }
        break;
      case JoinKeyColumn::Layout::kBinary32:
        MatchBinary(pc.offsets32(), pc.data(), bc.offsets32(), bc.data(), probe_rows, build_rows, n, match);
        break;
      case JoinKeyColumn::Layout::kBinary64:
        MatchBinary(pc.offsets64(), pc.data(), bc.offsets64(), bc.data(), probe_rows, build_rows, n, match);
        break;
    }
  }
}

}  // namespace sabot
