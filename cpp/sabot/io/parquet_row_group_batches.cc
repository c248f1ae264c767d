// RowGroupBatches: one Parquet row group's batches, with the row tests of a scan that
// filters itself.
#include "sabot/io/parquet_row_group_batches.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>

#include "sabot/exec/operator_metrics.h"
#include "sabot/expr/decimal_to_float64.h"
#include "sabot/ops/dictionary_gather.h"
#include "sabot/io/parquet_read_error.h"
#include "sabot/ops/join_hash_table.h"
#include "sabot/ops/join_keys.h"

namespace sabot {

std::shared_ptr<arrow::DataType> WithoutViews(const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY_VIEW:
      return arrow::binary();
    default:
      return type;
  }
}

bool IsDecimalAsFloat64(const arrow::DataType& stored, const arrow::DataType& read) {
  const auto id = stored.id();
  return read.id() == arrow::Type::DOUBLE &&
         (id == arrow::Type::DECIMAL32 || id == arrow::Type::DECIMAL64 || id == arrow::Type::DECIMAL128);
}

namespace {

bool IsView(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRING_VIEW || type.id() == arrow::Type::BINARY_VIEW;
}

// `rows` as an Int32Array for Arrow's take, without a copy: valid while `rows` is.
std::shared_ptr<arrow::Array> IndexArray(const std::vector<int32_t>& rows) {
  return std::make_shared<arrow::Int32Array>(static_cast<int64_t>(rows.size()), arrow::Buffer::Wrap(rows));
}

// Marks the error of a row test the scan runs for a plan step (a filter's predicate that
// fails on a row: an overflow, a failed cast): the step's error, not a corrupt file.
class RowTestErrorDetail final : public arrow::StatusDetail {
 public:
  static constexpr const char* kTypeId = "sabot::RowTestError";
  const char* type_id() const override { return kTypeId; }
  std::string ToString() const override { return "in a row test of the Parquet scan"; }
};

Status AsRowTestError(const Status& st) {
  static const auto detail = std::make_shared<RowTestErrorDetail>();
  return st.WithDetail(detail);
}

}  // namespace

bool IsRowTestError(const Status& st) {
  return st.detail() != nullptr && std::string_view(st.detail()->type_id()) == RowTestErrorDetail::kTypeId;
}

namespace {

// One row group's batches. Columns with a FlatColumnReader (`flat`, file order) are
// decoded by it; the others come from Arrow's RecordBatchReader, which owns nothing, so
// this also keeps the FileReader it reads from alive (Arrow requires it to outlive it).
// View columns are cast to their plain types (see WithoutViews), and the columns read as
// dictionaries only for speed (`expand`, see DictionaryPagedLeaves) are expanded. With a
// `filter`, its columns are read first and the others only at the rows that pass.
class RowGroupBatches : public arrow::RecordBatchReader {
 public:
  RowGroupBatches(std::unique_ptr<parquet::arrow::FileReader> file,
                  std::unique_ptr<arrow::RecordBatchReader> batches,
                  std::shared_ptr<parquet::RowGroupReader> row_group,
                  std::vector<std::unique_ptr<FlatColumnReader>> flat,
                  const arrow::FieldVector& file_order_fields, const std::vector<bool>& expand,
                  int64_t rows, std::optional<ParquetRowTests> filter)
      : file_(std::move(file)),
        batches_(std::move(batches)),
        row_group_(std::move(row_group)),
        flat_(std::move(flat)),
        rows_left_(rows),
        filter_(std::move(filter)) {
    arrow::FieldVector fields;
    int next_read = 0;
    for (size_t i = 0; i < flat_.size(); ++i) {
      if (flat_[i] != nullptr) {  // a view type is read as its plain type
        fields.push_back(file_order_fields[i]->WithType(WithoutViews(file_order_fields[i]->type())));
        read_index_.push_back(-1);
        continue;
      }
      read_index_.push_back(next_read);
      const auto& read_field = batches_->schema()->field(next_read++);
      if (IsDecimalAsFloat64(*read_field->type(), *file_order_fields[i]->type())) {
        fields.push_back(file_order_fields[i]);
        continue;
      }
      auto type = read_field->type();
      if (i < expand.size() && expand[i] && type->id() == arrow::Type::DICTIONARY) {
        type = static_cast<const arrow::DictionaryType&>(*type).value_type();
      }
      fields.push_back(read_field->WithType(WithoutViews(type)));
    }
    schema_ = arrow::schema(std::move(fields), batches_ ? batches_->schema()->metadata() : nullptr);
    if (filter_) {
      tested_.assign(flat_.size(), false);
      by_entry_.assign(flat_.size(), false);
      for (size_t k = 0; k < filter_->columns.size(); ++k) {
        const size_t c = filter_->columns[k];
        tested_[c] = true;
        // A flat column only the predicate reads is read as a dictionary where its
        // chunk's is small: the conjuncts over it alone test each entry once, and it is
        // decoded only at the rows those pass (for the conjuncts over several columns)
        // and at the rows that pass them all (for the batch).
        by_entry_[c] = flat_[c] != nullptr && filter_->predicate != nullptr &&
                       filter_->predicate->TakesEntries(static_cast<int>(k));
      }
      for (size_t c : filter_->join_columns) {
        // One key column only the key test reads comes as a dictionary where its chunk's
        // holds no more entries than a batch has rows (TPC-H lineitem's order keys: 28K
        // per row group of 113K rows): each entry is looked up once per chunk, each row
        // by its index, and the keys decoded only at the rows that pass. Other key
        // columns are hashed value by value.
        const bool by_entry = filter_->join_columns.size() == 1 && flat_[c] != nullptr && !tested_[c];
        tested_[c] = true;
        by_entry_[c] = by_entry;
        key_by_entry_ = by_entry;
      }
    }
  }
  ~RowGroupBatches() override {
    flat_.clear();
    batches_.reset();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    for (;;) {
      std::shared_ptr<arrow::RecordBatch> read;
      int64_t rows = std::min(kParquetBatchRows, rows_left_);
      if (batches_ != nullptr) {
        try {
          ARROW_RETURN_NOT_OK(batches_->ReadNext(&read));
        } catch (const std::exception& e) {
          return ParquetExceptionStatus(e);
        }
        if (read == nullptr) {
          *batch = nullptr;
          return Status::OK();
        }
        rows = read->num_rows();
      } else if (rows == 0) {
        *batch = nullptr;
        return Status::OK();
      }
      rows_left_ -= rows;
      if (!filter_) {
        arrow::ArrayVector columns(flat_.size());
        for (size_t i = 0; i < flat_.size(); ++i) {
          ARROW_ASSIGN_OR_RAISE(columns[i], Whole(i, rows, read.get()));
        }
        *batch = arrow::RecordBatch::Make(schema_, rows, std::move(columns));
        return Status::OK();
      }
      ARROW_ASSIGN_OR_RAISE(*batch, ReadFiltered(rows, read.get()));
      if (*batch != nullptr) return Status::OK();  // else no row passed: on to the next
    }
  }

 private:
  // Column `i` (file order) as the schema has it: a decimal read as float64 that the flat
  // reader did not take (fixed-size binary, say) converts as the plan's cast would have;
  // a view or an expanded dictionary is cast.
  Result<std::shared_ptr<arrow::Array>> AsWanted(size_t i, std::shared_ptr<arrow::Array> column) const {
    const auto& want = schema_->field(static_cast<int>(i))->type();
    if (IsDecimalAsFloat64(*column->type(), *want)) {
      ARROW_ASSIGN_OR_RAISE(auto converted, arrow::compute::CallFunction(kDecimalToFloat64, {column}));
      return converted.make_array();
    }
    if (!column->type()->Equals(*want)) return arrow::compute::Cast(*column, want);
    return column;
  }

  // Column `i` (file order) of the next `rows`, every row, as the schema has it. `read`
  // holds the columns without a flat reader.
  Result<std::shared_ptr<arrow::Array>> Whole(size_t i, int64_t rows, const arrow::RecordBatch* read) {
    std::shared_ptr<arrow::Array> column;
    if (flat_[i] != nullptr) {
      ARROW_ASSIGN_OR_RAISE(column, flat_[i]->Read(rows));
    } else {
      column = read->column(read_index_[i]);
    }
    return AsWanted(i, std::move(column));
  }

  // The rows of the next `rows` that pass the tests, or null when none does. `read`
  // holds the columns without a flat reader.
  Result<std::shared_ptr<arrow::RecordBatch>> ReadFiltered(int64_t rows, const arrow::RecordBatch* read) {
    arrow::ArrayVector columns(flat_.size());
    for (size_t c = 0; c < flat_.size(); ++c) {
      if (!tested_[c]) continue;
      if (by_entry_[c]) {
        const bool key = key_by_entry_ && c == filter_->join_columns.front();
        ARROW_ASSIGN_OR_RAISE(columns[c], flat_[c]->ReadAsDictionary(rows, key ? rows : rows / 4));
      } else {
        ARROW_ASSIGN_OR_RAISE(columns[c], Whole(c, rows, read));
      }
    }
    // The rows that pass so far: every row while `all`, else `selected`.
    bool all = true;
    std::vector<int32_t> selected;
    if (filter_->predicate != nullptr) {
      const auto start = std::chrono::steady_clock::now();
      arrow::ArrayVector tested;
      arrow::FieldVector fields;
      for (size_t k = 0; k < filter_->columns.size(); ++k) {
        tested.push_back(columns[filter_->columns[k]]);
        fields.push_back(filter_->schema->field(static_cast<int>(k))->WithType(tested.back()->type()));
      }
      auto passed = filter_->predicate->Select(*arrow::RecordBatch::Make(arrow::schema(std::move(fields)), rows, tested));
      if (!passed.ok()) return AsRowTestError(passed.status());
      selected = std::move(passed).ValueUnsafe();
      all = static_cast<int64_t>(selected.size()) == rows;
      if (OperatorMetrics* metrics = filter_->metrics) {
        const auto passed = static_cast<int64_t>(selected.size());
        metrics->busy_ns.fetch_add(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count(),
            std::memory_order_relaxed);
        metrics->rows_in.fetch_add(rows, std::memory_order_relaxed);
        metrics->batches_in.fetch_add(1, std::memory_order_relaxed);
        if (passed > 0) {
          metrics->rows_out.fetch_add(passed, std::memory_order_relaxed);
          metrics->batches_out.fetch_add(1, std::memory_order_relaxed);
        }
      }
    }
    if (filter_->join != nullptr && !filter_->join->off.load(std::memory_order_relaxed) && (all || !selected.empty())) {
      ARROW_RETURN_NOT_OK(TestJoinKeys(rows, columns, &all, &selected));
    }
    const int64_t count = all ? rows : static_cast<int64_t>(selected.size());
    std::shared_ptr<arrow::Array> indices;
    if (!all && count > 0) indices = IndexArray(selected);
    for (size_t c = 0; c < flat_.size(); ++c) {
      if (!tested_[c] || count == 0) continue;
      if (columns[c]->type_id() == arrow::Type::DICTIONARY && by_entry_[c]) {
        ARROW_ASSIGN_OR_RAISE(columns[c], DictionaryValuesAt(static_cast<const arrow::DictionaryArray&>(*columns[c]),
                                                              all ? nullptr : selected.data(), count));
      } else if (!all) {
        ARROW_ASSIGN_OR_RAISE(auto kept, arrow::compute::Take(*columns[c], *indices));
        columns[c] = std::move(kept);
      }
    }
    // The other columns: every value decoded (the readers move on by `rows`), only the
    // selected kept.
    for (size_t i = 0; i < flat_.size(); ++i) {
      if (tested_[i]) continue;
      std::shared_ptr<arrow::Array> column;
      if (flat_[i] != nullptr) {
        ARROW_ASSIGN_OR_RAISE(column, all ? flat_[i]->Read(rows) : flat_[i]->ReadSelected(rows, selected.data(), count));
      } else if (count > 0) {
        column = read->column(read_index_[i]);
        // Arrow's take has no kernel for view types: those are cast first.
        if (IsView(*column->type())) {
          ARROW_ASSIGN_OR_RAISE(column, AsWanted(i, std::move(column)));
        }
        if (!all) {
          ARROW_ASSIGN_OR_RAISE(column, arrow::compute::Take(*column, *indices));
        }
      }
      if (count > 0) {
        ARROW_ASSIGN_OR_RAISE(columns[i], AsWanted(i, std::move(column)));
      }
    }
    if (count == 0) return nullptr;
    return arrow::RecordBatch::Make(schema_, count, std::move(columns));
  }

  // Narrows the rows that pass (every one of `rows` while `*all`, else `*selected`) to
  // those whose join key has a chain in the join's table (see FilterRowsByJoinKeys).
  Status TestJoinKeys(int64_t rows, const arrow::ArrayVector& columns, bool* all, std::vector<int32_t>* selected) {
    ParquetJoinKeyTest& join = *filter_->join;
    const int64_t n = *all ? rows : static_cast<int64_t>(selected->size());
    const auto& key = columns[filter_->join_columns.front()];
    const auto* by_entry = key->type_id() == arrow::Type::DICTIONARY
                               ? static_cast<const arrow::DictionaryArray*>(key.get())
                               : nullptr;
    // Entries are looked up once per chunk: where this chunk's are not yet and outnumber
    // the rows left to test (a selective filter ran first), the keys at those rows are.
    if (by_entry != nullptr &&
        (by_entry->data()->dictionary.get() == key_entries_.get() || by_entry->dictionary()->length() <= n)) {
      ARROW_ASSIGN_OR_RAISE(const uint8_t* has_chain, EntriesWithChains(*by_entry));
      const int32_t* index = by_entry->indices()->data()->GetValues<int32_t>(1);
      std::vector<int32_t> kept(static_cast<size_t>(n) + 1);
      size_t count = 0;
      for (int64_t i = 0; i < n; ++i) {  // branch-free, as below
        const int32_t row = *all ? static_cast<int32_t>(i) : (*selected)[static_cast<size_t>(i)];
        kept[count] = row;
        count += has_chain[index[row]];
      }
      kept.resize(count);
      return Narrowed(n, std::move(kept), all, selected);
    }
    std::shared_ptr<arrow::Array> indices;
    if (!*all) indices = IndexArray(*selected);
    std::vector<std::shared_ptr<arrow::Array>> key_columns;
    for (size_t c : filter_->join_columns) {
      if (by_entry != nullptr) {  // the one key column
        ARROW_ASSIGN_OR_RAISE(auto kept, DictionaryValuesAt(*by_entry, *all ? nullptr : selected->data(), n));
        key_columns.push_back(std::move(kept));
      } else if (*all) {
        key_columns.push_back(columns[c]);
      } else {
        ARROW_ASSIGN_OR_RAISE(auto kept, arrow::compute::Take(*columns[c], *indices));
        key_columns.push_back(std::move(kept));
      }
    }
    ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(key_columns));
    heads_.resize(static_cast<size_t>(n));
    ends_.resize(static_cast<size_t>(n));
    join.table->FindChains(keys, 0, n, heads_.data(), ends_.data(), /*use_filter=*/true);
    std::vector<int32_t> kept(static_cast<size_t>(n) + 1);
    size_t count = 0;
    for (int64_t i = 0; i < n; ++i) {  // branch-free, as in FilterPredicate::Select
      kept[count] = *all ? static_cast<int32_t>(i) : (*selected)[static_cast<size_t>(i)];
      count += heads_[static_cast<size_t>(i)] != ends_[static_cast<size_t>(i)];
    }
    kept.resize(count);
    return Narrowed(n, std::move(kept), all, selected);
  }

  // Per entry of a dictionary of join keys (int32 indices without nulls, as
  // ReadAsDictionary gives them): 1 where a build row shares its key's hash. Computed once
  // per chunk's dictionary (the same array for each of its reads).
  Result<const uint8_t*> EntriesWithChains(const arrow::DictionaryArray& keys) {
    if (keys.indices()->type_id() != arrow::Type::INT32 || keys.indices()->null_count() != 0) {
      return Status::Invalid("internal error (a bug in sabot): a join key column read by entry has indices other "
                             "than int32 without nulls");
    }
    // The chunk's entries as ArrayData: each read's DictionaryArray makes its own Array
    // object over them.
    const auto& entries_data = keys.data()->dictionary;
    if (entries_data.get() != key_entries_.get()) {
      const auto entries = arrow::MakeArray(entries_data);
      ARROW_ASSIGN_OR_RAISE(auto hashed, JoinKeys::Make({entries}));
      const int64_t size = entries->length();
      heads_.resize(static_cast<size_t>(size));
      ends_.resize(static_cast<size_t>(size));
      filter_->join->table->FindChains(hashed, 0, size, heads_.data(), ends_.data(), /*use_filter=*/true);
      key_has_chain_.resize(static_cast<size_t>(size));
      for (int64_t e = 0; e < size; ++e) key_has_chain_[e] = heads_[e] != ends_[e];
      key_entries_ = entries_data;
    }
    return key_has_chain_.data();
  }

  // Ends a key test of `n` rows that kept `kept`: counts them toward the test's trial
  // (where it keeps more than half, it is turned off) and narrows the selection.
  Status Narrowed(int64_t n, std::vector<int32_t> kept, bool* all, std::vector<int32_t>* selected) {
    ParquetJoinKeyTest& join = *filter_->join;
    const auto count = static_cast<int64_t>(kept.size());
    const int64_t checked = join.checked.fetch_add(n, std::memory_order_relaxed) + n;
    const int64_t passed = join.passed.fetch_add(count, std::memory_order_relaxed) + count;
    if (checked >= ParquetJoinKeyTest::kTrialRows && passed * 2 > checked) join.off.store(true, std::memory_order_relaxed);
    if (count == n) return Status::OK();  // the selection stands
    *all = false;
    *selected = std::move(kept);
    return Status::OK();
  }

  std::unique_ptr<parquet::arrow::FileReader> file_;
  std::unique_ptr<arrow::RecordBatchReader> batches_;  // null when every column is flat
  std::shared_ptr<parquet::RowGroupReader> row_group_;  // what the flat readers read from
  std::vector<std::unique_ptr<FlatColumnReader>> flat_;
  std::vector<int> read_index_;  // per column (file order): its place in Arrow's batch, or -1
  int64_t rows_left_;
  std::optional<ParquetRowTests> filter_;
  std::vector<bool> tested_;  // per column (file order): read by a row test
  std::vector<bool> by_entry_;  // per column (file order): read with ReadAsDictionary (see the constructor)
  std::vector<uint32_t> heads_, ends_;  // TestJoinKeys' chains, kept for the next batch
  bool key_by_entry_ = false;           // the one join key column is read as a dictionary
  std::shared_ptr<arrow::ArrayData> key_entries_;  // the dictionary key_has_chain_ is for
  std::vector<uint8_t> key_has_chain_;         // per entry of key_entries_ (EntriesWithChains)
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

std::shared_ptr<arrow::RecordBatchReader> MakeRowGroupBatches(
    std::unique_ptr<parquet::arrow::FileReader> file, std::unique_ptr<arrow::RecordBatchReader> batches,
    std::shared_ptr<parquet::RowGroupReader> row_group, std::vector<std::unique_ptr<FlatColumnReader>> flat,
    const arrow::FieldVector& file_order_fields, const std::vector<bool>& expand, int64_t rows,
    std::optional<ParquetRowTests> tests) {
  return std::make_shared<RowGroupBatches>(std::move(file), std::move(batches), std::move(row_group), std::move(flat),
                                           file_order_fields, expand, rows, std::move(tests));
}

}  // namespace sabot
