// ParquetSource: Parquet files, one split per (file, row group), with column projection.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <utility>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sabot/exec/source.h"
#include "sabot/ops/filter_predicate.h"
#include "sabot/plan/column_stats.h"
#include "sabot/plan/source_spec.h"

namespace parquet {
class FileMetaData;
}  // namespace parquet

namespace sabot {

class JoinHashTable;
struct OperatorMetrics;
struct ParquetJoinKeyTest;
class RowGroupPruning;

//! A row group is the natural morsel: independently decodable and about the size the
//! executor wants. Only the projected columns are read from disk.
class ParquetSource : public Source {
 public:
  static Result<std::shared_ptr<ParquetSource>> Make(const SourceSpec& spec);

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  //! Reads each file's footer; a file whose schema differs is an error naming it.
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override;
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;

  //! Late materialization: from now on the projected plain string columns stored
  //! dictionary-encoded with a dictionary small next to the chunk (as the first file's
  //! first row group has them; a dictionary of mostly distinct strings saves nothing and
  //! Arrow hashes each of its entries when it reads one), except those
  //! named in `except`, are read as dictionary arrays, the row group's dictionary plus
  //! int32 indices, as stored, so a filter can drop rows before any string is copied
  //! (DecodeDictionaries restores plain strings afterwards). Those named in `tested`
  //! (a filter evaluates them per dictionary entry) only when also every data page of the
  //! chunk uses the dictionary: otherwise
  //! evaluating per entry saves nothing and decoding after the filter costs a second copy. schema() changes accordingly; plain_schema()
  //! keeps the one the plan sees. Call before Splits() and Open().
  void ReadDictionaryStringsAsDictionaries(const std::vector<std::string>& except,
                                           const std::vector<std::string>& tested = {});
  //! The type of each of `columns` once ReadDictionaryStringsAsDictionaries(every other
  //! column) ran: a dictionary where the first file's first row group stores the string
  //! column with a small dictionary, else as the plan has it. Empty when one of them is
  //! not a projected column (or is ambiguous). Changes nothing.
  std::vector<std::shared_ptr<arrow::DataType>> TypesReadAsDictionaries(const std::vector<std::string>& columns) const;
  //! The projected decimal columns the first file stores as INT32 or INT64, as float64:
  //! FlatColumnReader decodes those straight into doubles. (Fixed-size binary decimals
  //! are read as float64 too when asked, but no faster than cast after reading.)
  std::vector<std::shared_ptr<arrow::Field>> NativeReadTypes() const override;
  //! By name, what the first file's metadata tells of the projected columns (one open):
  //! - the distinct values of each string column that the first row group stores with a
  //!   small dictionary used by every page: the dictionary page's entry count (its header
  //!   is read; a few KB). For the low-cardinality columns filters test (TPC-H's p_type,
  //!   c_mktsegment, l_shipmode) that is the column's count. A file of one row group
  //!   counts any dictionary up to 1 MiB: there the first row group
  //!   is the file, so mostly distinct names (TPC-H's n_name, r_name) count too;
  //! - the smallest and largest value of each number and date column (dates in days,
  //!   decimals scaled) over the row groups' statistics; not for a column some row group
  //!   has none for.
  //! Columns it tells nothing of are left out.
  std::map<std::string, ColumnStats> ColumnStatistics() const;
  //! Late materialization of rows: from now on each batch holds only the rows
  //! `predicate` (over schema(), as ReadDictionaryStringsAsDictionaries left it) keeps.
  //! The columns it reads are decoded and tested first; the others are then decoded at
  //! the rows that pass only (FlatColumnReader::ReadSelected), instead of decoding every
  //! row of every column for a filter to copy the survivors (TPC-H Q19 keeps 3.6% of
  //! lineitem, Q3 54%). A batch no row of which passes is not yielded. `filter` names
  //! the plan step this stands for (see filtered_by); `metrics`, when given, gets its
  //! rows in, the rows that pass it, and the time spent testing. Call
  //! before Splits() and Open(), at most once. An error binding the predicate is the
  //! Filter operator's (an unknown column, a predicate that is not boolean).
  //! Row groups whose column statistics show that no row passes are skipped unread
  //! (RowGroupPruning), counted in `metrics` as skipped rows.
  Status FilterRows(const Expr& predicate, const void* filter, OperatorMetrics* metrics);
  //! The plan step FilterRows was given, or null.
  const void* filtered_by() const { return filtered_by_; }
  //! Sideways information passing: from now on the rows whose join key (the columns
  //! `keys` of schema()) shares its hash with no build row of `table` are dropped in the
  //! scan too, before the columns neither test reads are decoded (as for FilterRows).
  //! For a join whose probe side drops its unmatched rows anyway (inner, semi, right
  //! semi, right anti): TPC-H Q8 probes 6M lineitems with the keys of 1.5K parts and keeps
  //! 0.7%. The probe tests the rows that pass again, so where most rows pass (over the
  //! first ParquetJoinKeyTest::kTrialRows the scans read) the scans stop testing. `join` names the
  //! join (see joined_by). Does nothing once a split was opened, or when `keys` are not
  //! columns of schema() as plain values; call at most once. With one key column, row
  //! groups whose statistics put every key outside the build keys' smallest and largest
  //! are skipped unread (RowGroupPruning), counted in `metrics` as skipped rows: a fact
  //! table in date order joined with a few days' dimension rows reads their row groups.
  Status FilterRowsByJoinKeys(std::shared_ptr<const JoinHashTable> table, const std::vector<std::string>& keys,
                              const void* join, OperatorMetrics* metrics = nullptr);
  //! The join FilterRowsByJoinKeys was given, or null.
  const void* joined_by() const { return joined_by_; }
  //! The projected schema with plain strings, whatever ReadDictionaryStringsAsDictionaries changed.
  const std::shared_ptr<arrow::Schema>& plain_schema() const { return plain_schema_; }

 private:
  ParquetSource() = default;
  //! The first file's leaf column of each projected field, -1 for a nested one; empty
  //! when the file does not open (Splits() and Open() report that).
  std::vector<int> ProjectedLeaves() const;
  //! The projected plain string columns the first file's first row group stores with a
  //! small dictionary: each one's field index and leaf column; of those named in
  //! `tested`, only the ones whose every data page uses the dictionary.
  std::vector<std::pair<size_t, int>> SmallDictionaryStrings(const std::vector<std::string>& tested) const;

  SourceSpec spec_;
  std::vector<std::string> paths_;
  std::shared_ptr<arrow::Schema> file_schema_;  // every top-level field of a file
  std::string schema_from_;
  std::shared_ptr<arrow::Schema> schema_;  // after projection, as read (see ReadDictionaryStringsAsDictionaries)
  std::shared_ptr<arrow::Schema> plain_schema_;  // after projection, as the plan sees it
  std::vector<int> fields_;                // projected top-level field indices
  std::shared_ptr<arrow::Schema> read_file_schema_;  // file_schema_ as read (see ReadDictionaryStringsAsDictionaries)
  std::vector<int> dictionary_leaves_;     // leaf columns read as dictionaries
  //! Projected fields read as another type (SourceSpec::read_as), by file field index.
  std::map<int, std::shared_ptr<arrow::Field>> read_as_;

  // What FilterRows set: the predicate bound to the columns it reads (`filter_schema_`,
  // at `filter_columns_` of schema_).
  std::shared_ptr<const FilterPredicate> filter_;
  std::shared_ptr<arrow::Schema> filter_schema_;
  std::vector<int> filter_columns_;
  const void* filtered_by_ = nullptr;
  OperatorMetrics* filter_metrics_ = nullptr;
  std::shared_ptr<const RowGroupPruning> pruning_;  // null: every row group is read

  std::shared_ptr<ParquetJoinKeyTest> join_test_;  // what FilterRowsByJoinKeys set
  const void* joined_by_ = nullptr;
  std::shared_ptr<const RowGroupPruning> join_pruning_;  // the build keys' range; may be null
  OperatorMetrics* join_metrics_ = nullptr;
  std::atomic<bool> opened_{false};

  // Footers read by Splits(), so opening each row group does not parse the footer again.
  std::mutex footers_mutex_;
  std::unordered_map<std::string, std::shared_ptr<parquet::FileMetaData>> footers_;
};

}  // namespace sabot
