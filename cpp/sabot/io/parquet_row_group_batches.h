// RowGroupBatches: one Parquet row group's batches, as ParquetSource reads them: the flat
// readers' columns and Arrow's, in the types the source gives, and the row tests of a
// scan that filters itself (a filter's predicate, a join's keys) before it decodes the
// columns they do not read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/io/parquet_flat_column.h"
#include "sabot/ops/filter_predicate.h"

namespace parquet {
class RowGroupReader;
namespace arrow {
class FileReader;
}  // namespace arrow
}  // namespace parquet

namespace sabot {

class JoinHashTable;
struct OperatorMetrics;

//! Rows a batch of a Parquet source holds, at most.
inline constexpr int64_t kParquetBatchRows = 64 * 1024;

//! Files written from Arrow may store string_view / binary_view columns (tpchgen-cli
//! does). Few Arrow compute kernels take view types (no comparison with a string
//! literal, no match_like, no take), so Sabot reads them as string / binary: the type
//! `type` is read as.
std::shared_ptr<arrow::DataType> WithoutViews(const std::shared_ptr<arrow::DataType>& type);

//! Whether `stored` is a decimal that sabot_decimal_to_float64 takes, `read` as float64.
bool IsDecimalAsFloat64(const arrow::DataType& stored, const arrow::DataType& read);

//! What ParquetSource::FilterRowsByJoinKeys set: the table, the key columns (at
//! `columns` of the source's schema), and the rows its scans tested and passed so far,
//! over all splits.
struct ParquetJoinKeyTest {
  //! Rows tested before the scans stop testing if most pass.
  static constexpr int64_t kTrialRows = 1 << 17;
  std::shared_ptr<const JoinHashTable> table;
  std::vector<int> columns;
  std::atomic<int64_t> checked{0};
  std::atomic<int64_t> passed{0};
  std::atomic<bool> off{false};
};

//! The row tests of one row group's reader, each over columns at positions (file order)
//! of its batches: ParquetSource::FilterRows' predicate (over `schema`, the columns at
//! `columns`) and FilterRowsByJoinKeys' join keys (at `join_columns`).
struct ParquetRowTests {
  std::shared_ptr<const FilterPredicate> predicate;  // null: none
  std::shared_ptr<arrow::Schema> schema;
  std::vector<size_t> columns;
  OperatorMetrics* metrics = nullptr;  //!< the filter's step: rows in and out, time testing
  std::shared_ptr<ParquetJoinKeyTest> join;  // null: none
  std::vector<size_t> join_columns;
};

//! Whether `status` is the error of a row test (a filter's predicate failing on a row:
//! an overflow, a failed cast), the filter's error rather than a sign of a corrupt file.
bool IsRowTestError(const Status& status);

//! The batches of the `rows` rows of one row group. Columns with a FlatColumnReader
//! (`flat`, file order) are decoded by it; the others come from Arrow's reader
//! `batches` (null when every column is flat), which reads `file`. `expand` (file order)
//! marks the columns read as dictionaries only for speed, expanded after reading. With
//! `tests`, a batch holds only the rows that pass them, and none is yielded for rows of
//! which none passes.
std::shared_ptr<arrow::RecordBatchReader> MakeRowGroupBatches(
    std::unique_ptr<parquet::arrow::FileReader> file, std::unique_ptr<arrow::RecordBatchReader> batches,
    std::shared_ptr<parquet::RowGroupReader> row_group, std::vector<std::unique_ptr<FlatColumnReader>> flat,
    const arrow::FieldVector& file_order_fields, const std::vector<bool>& expand, int64_t rows,
    std::optional<ParquetRowTests> tests);

}  // namespace sabot
