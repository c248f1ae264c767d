// like_segments: LIKE patterns of literal text and '%' matched with memmem over the
// string column's bytes, one bit a row, no regex.
#include "sabot/expr/like_segments.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include <arrow/array/array_binary.h>
#include <arrow/array/data.h>
#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/compute/api.h>
#include <arrow/compute/registry.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "sabot/expr/own_function.h"

namespace sabot {

namespace cp = arrow::compute;

bool LikeSegments::Applies(std::string_view pattern) {
  return pattern.find_first_of("_\\") == std::string_view::npos;
}

LikeSegments::LikeSegments(std::string_view pattern) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t at = pattern.find('%', start);
    parts.emplace_back(pattern.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  if (parts.size() == 1) {
    exact_ = true;
    prefix_ = std::move(parts.front());
    return;
  }
  prefix_ = std::move(parts.front());
  suffix_ = std::move(parts.back());
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    if (!parts[i].empty()) middle_.push_back(std::move(parts[i]));
  }
  for (const auto& segment : middle_) {
    if (segment.size() > anchor_.size()) anchor_ = segment;
  }
}

bool LikeSegments::Matches(std::string_view text) const {
  if (exact_) return text == prefix_;
  if (text.size() < prefix_.size() + suffix_.size()) return false;
  if (text.compare(0, prefix_.size(), prefix_) != 0) return false;
  if (text.compare(text.size() - suffix_.size(), suffix_.size(), suffix_) != 0) return false;
  // The middle segments lie between the prefix and the suffix, each after the one before.
  const char* at = text.data() + prefix_.size();
  const char* end = text.data() + text.size() - suffix_.size();
  for (const auto& segment : middle_) {
    if (static_cast<size_t>(end - at) < segment.size()) return false;
    const void* hit = memmem(at, static_cast<size_t>(end - at), segment.data(), segment.size());
    if (hit == nullptr) return false;
    at = static_cast<const char*>(hit) + segment.size();
  }
  return true;
}

namespace {

// Where the needle's first and last bytes both sit, 32 candidate starts a load; the
// candidates are then compared whole. Needles of two bytes or more.
__attribute__((target("avx2"))) const char* FindSegmentAvx2(const char* from, const char* to,
                                                             std::string_view needle) {
  const size_t k = needle.size();
  const __m256i first = _mm256_set1_epi8(needle.front());
  const __m256i last = _mm256_set1_epi8(needle.back());
  const char* p = from;
  // Both loads stay inside [from, to): the second starts k - 1 bytes later.
  for (; to - p >= static_cast<ptrdiff_t>(32 + k - 1); p += 32) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + k - 1));
    auto mask = static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(a, first), _mm256_cmpeq_epi8(b, last))));
    while (mask != 0) {
      const int at = __builtin_ctz(mask);
      if (std::memcmp(p + at + 1, needle.data() + 1, k - 2) == 0) return p + at;
      mask &= mask - 1;
    }
  }
  const void* hit = memmem(p, static_cast<size_t>(to - p), needle.data(), k);
  return hit == nullptr ? to : static_cast<const char*>(hit);
}

}  // namespace

const char* FindSegment(const char* from, const char* to, std::string_view needle) {
  if (to - from < static_cast<ptrdiff_t>(needle.size())) return to;
  if (needle.size() == 1) {
    const void* hit = std::memchr(from, needle.front(), static_cast<size_t>(to - from));
    return hit == nullptr ? to : static_cast<const char*>(hit);
  }
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return FindSegmentAvx2(from, to, needle);
  const void* hit = memmem(from, static_cast<size_t>(to - from), needle.data(), needle.size());
  return hit == nullptr ? to : static_cast<const char*>(hit);
}

namespace {

// Bits of the rows that hold the pattern's anchor: one scan over the bytes of all rows
// instead of a search per row (most rows of a selective LIKE hold no anchor at all);
// rows with a hit inside them are then matched whole. A hit that straddles two rows is
// no hit, and the scan goes on from the byte after its start.
template <typename ArrayType>
void MatchByAnchor(const ArrayType& strings, const LikeSegments& like, uint8_t* out) {
  const int64_t n = strings.length();
  const auto* offsets = strings.raw_value_offsets();
  const char* data = reinterpret_cast<const char*>(strings.raw_data());  // indexed by offsets
  const std::string_view anchor = like.anchor();
  const auto k = static_cast<int64_t>(anchor.size());
  const char* end = data + offsets[n];
  int64_t row = 0;
  int64_t pos = offsets[0];
  while (row < n) {
    const char* hit = FindSegment(data + pos, end, anchor);
    if (hit == end) break;
    const int64_t at = hit - data;
    while (offsets[row + 1] <= at) ++row;  // rows passed over hold no hit: their bits stay 0
    if (at + k <= offsets[row + 1]) {
      if (like.Matches(strings.GetView(row))) arrow::bit_util::SetBit(out, row);
      ++row;
      if (row < n) pos = offsets[row];
    } else {
      pos = at + 1;
    }
  }
}

template <typename ArrayType>
Result<std::shared_ptr<arrow::ArrayData>> MatchAll(const ArrayType& strings, const LikeSegments& like,
                                                   arrow::MemoryPool* pool) {
  const int64_t n = strings.length();
  ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateEmptyBitmap(n, pool));
  uint8_t* out = bits->mutable_data();
  if (!like.anchor().empty()) {
    MatchByAnchor(strings, like, out);
  } else {
    // Eight rows a byte, written once; a null row's bit is 0 under its null.
    for (int64_t byte = 0; byte * 8 < n; ++byte) {
    uint8_t value = 0;
    const int64_t end = std::min<int64_t>(n, byte * 8 + 8);
    for (int64_t i = byte * 8; i < end; ++i) {
        value |= static_cast<uint8_t>(like.Matches(strings.GetView(i))) << (i - byte * 8);
      }
      out[byte] = value;
    }
  }
  std::shared_ptr<arrow::Buffer> validity;
  if (strings.null_count() > 0) {
    ARROW_ASSIGN_OR_RAISE(validity, arrow::internal::CopyBitmap(pool, strings.null_bitmap_data(), strings.offset(), n));
  }
  return arrow::ArrayData::Make(arrow::boolean(), n, {std::move(validity), std::move(bits)}, strings.null_count());
}

Status LikeSegmentsExec(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  if (!batch[1].is_scalar()) return Status::Invalid("like_segments: the pattern must be a constant");
  const auto& pattern = static_cast<const arrow::BaseBinaryScalar&>(*batch[1].scalar);
  if (!pattern.is_valid) {
    ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(arrow::boolean(), batch.length, ctx->memory_pool()));
    out->value = nulls->data();
    return Status::OK();
  }
  if (!LikeSegments::Applies(pattern.view())) {
    return Status::Invalid("like_segments: the pattern may hold no '_' or '\\' (use match_like)");
  }
  const LikeSegments like(pattern.view());
  std::shared_ptr<arrow::Array> input;
  if (batch[0].is_scalar()) {
    ARROW_ASSIGN_OR_RAISE(input, arrow::MakeArrayFromScalar(*batch[0].scalar, batch.length, ctx->memory_pool()));
  } else {
    input = batch[0].array.ToArray();
  }
  if (input->type_id() == arrow::Type::LARGE_STRING) {
    ARROW_ASSIGN_OR_RAISE(out->value,
                          MatchAll(static_cast<const arrow::LargeStringArray&>(*input), like, ctx->memory_pool()));
  } else {
    ARROW_ASSIGN_OR_RAISE(out->value, MatchAll(static_cast<const arrow::StringArray&>(*input), like, ctx->memory_pool()));
  }
  return Status::OK();
}

const cp::FunctionDoc kDoc{"Whether strings match a LIKE pattern of literal text and '%'",
                           "As match_like for patterns without '_' or escapes; null for a null string. "
                           "The pattern is a constant.",
                           {"strings", "pattern"}};

}  // namespace

Status RegisterLikeSegments() {
  static const Status status = AddOwnScalarFunction(kLikeSegmentsFunction, cp::Arity::Binary(), kDoc,
                                                     {{arrow::utf8(), arrow::utf8()}, {arrow::large_utf8(), arrow::utf8()}},
                                                     arrow::boolean(), LikeSegmentsExec);
  return status;
}

}  // namespace sabot
