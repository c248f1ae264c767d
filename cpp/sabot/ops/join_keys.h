// Join key columns in the form the join hash table hashes and compares: fixed-width
// values as 64-bit words, strings and binaries as offsets into their bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/default_init_allocator.h"
#include "sabot/common/errors.h"
#include "sabot/common/table_memory.h"

namespace sabot {

inline constexpr std::string_view kSupportedJoinKeyTypes =
    "integers, bool, float, double, string, large_string, binary, large_binary, date32, date64, "
    "time32, time64, timestamp, duration, decimal128";

bool IsSupportedJoinKeyType(const arrow::DataType& type);
//! Equal types, or two integer types (both compared as int64; a uint64 above 2^63-1
//! equals the int64 with the same bits).
bool AreComparableJoinKeyTypes(const arrow::DataType& left, const arrow::DataType& right);

//! One key column normalized so that equal keys have equal representations on both
//! sides: integers, dates, times and bools widened to int64 words (zero-copy when already
//! 64-bit), floats widened to double with -0.0 folded into 0.0 and every NaN into one NaN
//! (NaN keys match, as in DuckDB and PostgreSQL), decimal128 as two words, strings and
//! binaries as their offsets and bytes. Move-only: words() may point into owned storage.
class JoinKeyColumn {
 public:
  enum class Layout : uint8_t { kWord64, kWord128, kBinary32, kBinary64 };

  static Result<JoinKeyColumn> Make(std::shared_ptr<arrow::Array> array);

  JoinKeyColumn(JoinKeyColumn&&) = default;
  JoinKeyColumn& operator=(JoinKeyColumn&&) = default;

  Layout layout() const { return layout_; }
  //! kWord64: value i is words()[i]; kWord128: words()[2i], words()[2i + 1].
  const uint64_t* words() const { return owned_.empty() ? raw_words_ : owned_.data(); }
  const int32_t* offsets32() const { return offsets32_; }  //!< kBinary32
  const int64_t* offsets64() const { return offsets64_; }  //!< kBinary64
  const uint8_t* data() const { return data_; }            //!< kBinary32, kBinary64
  const std::shared_ptr<arrow::Array>& array() const { return array_; }

 private:
  JoinKeyColumn() = default;

  std::shared_ptr<arrow::Array> array_;  // keeps the buffers behind the raw pointers alive
  Layout layout_ = Layout::kWord64;
  const uint64_t* raw_words_ = nullptr;
  std::vector<uint64_t> owned_;
  const int32_t* offsets32_ = nullptr;
  const int64_t* offsets64_ = nullptr;
  const uint8_t* data_ = nullptr;
};

//! The key columns of a set of rows (one probe batch, or the whole build side): the
//! normalized columns, one 64-bit hash per row over all key columns, and which rows have
//! a null in some key column (such rows never match, as in SQL).
class JoinKeys {
 public:
  //! All columns have the same length; their types are supported join key types. The
  //! rows are hashed on `threads` threads (a large join build; a probe batch uses one).
  static Result<JoinKeys> Make(const std::vector<std::shared_ptr<arrow::Array>>& columns, int threads = 1);

  JoinKeys(JoinKeys&&) = default;
  JoinKeys& operator=(JoinKeys&&) = default;

  int64_t num_rows() const { return num_rows_; }
  const std::vector<JoinKeyColumn>& columns() const { return columns_; }
  const uint64_t* hashes() const { return hashes_.data(); }
  //! Frees the hashes once nothing reads them (a built hash table compares keys only).
  void ReleaseHashes() { UninitTableVector<uint64_t>().swap(hashes_); }
  bool has_nulls() const { return !valid_.empty(); }
  //! Whether no key column of `row` is null.
  bool valid(int64_t row) const { return valid_.empty() || valid_[row] != 0; }

 private:
  JoinKeys() = default;
  //! Fills hashes_ and valid_ (when sized) for rows [begin, end) of `arrays`, the arrays
  //! behind columns_.
  void HashRows(const std::vector<std::shared_ptr<arrow::Array>>& arrays, int64_t begin, int64_t end);

  int64_t num_rows_ = 0;
  std::vector<JoinKeyColumn> columns_;
  UninitTableVector<uint64_t> hashes_;  // every entry written by HashRows; a build's are large
  std::vector<uint8_t> valid_;  // empty when no key is null
};

//! Clears match[i] where row probe_rows[i] of `probe` differs from row build_rows[i] of
//! `build` in some key column. Typed loops, one per column; rows must have valid keys.
void MatchJoinKeys(const JoinKeys& probe, const uint32_t* probe_rows, const JoinKeys& build,
                   const uint32_t* build_rows, int64_t n, uint8_t* match);

}  // namespace sabot
