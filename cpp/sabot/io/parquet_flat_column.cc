// FlatColumnReader: a fast path for flat Parquet columns without nulls (fixed-width,
// string and binary), and for INT32/INT64 decimals read as float64.
#include "sabot/io/parquet_flat_column.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <type_traits>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_base.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_vector.h>
#include <arrow/util/bit_util.h>
#include <optional>
#include <vector>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>
#include <parquet/types.h>

#include "sabot/common/default_init_allocator.h"
#include "sabot/expr/decimal_to_float64.h"
#include "sabot/ops/dictionary_gather.h"
#include "sabot/io/parquet_read_error.h"

namespace sabot {
namespace {

// Calls `decode(offset, count)` (which decodes at most `count` values at `offset` and
// returns how many it did: one call ends at a page boundary) until `rows` are decoded.
template <typename Decode>
arrow::Status DecodeRows(const parquet::ColumnReader& column, int64_t rows, Decode&& decode) {
  int64_t done = 0;
  try {
    while (done < rows) {
      const int64_t got = decode(done, rows - done);
      if (got == 0) break;
      done += got;
    }
  } catch (const std::exception& e) {
    return ParquetExceptionStatus(e);
  }
  if (done != rows) {
    return arrow::Status::IOError("column ", column.descr()->name(), " holds ", rows - done,
                                  " values fewer than its row group's row count");
  }
  return arrow::Status::OK();
}

// parquet::ColumnReader::SetExposedEncoding is protected, meant for RowGroupReader alone;
// a member pointer formed in a derived class reaches it (see DictionaryExposingColumn).
struct DictionaryExposure : parquet::ColumnReader {
  static void Expose(parquet::ColumnReader& reader) {
    (reader.*&DictionaryExposure::SetExposedEncoding)(parquet::ExposedEncoding::DICTIONARY);
  }
};

// A column reader for `leaf` that hands out dictionary indices when every data page of the
// chunk uses the dictionary. RowGroupReader::ColumnWithExposeEncoding decides that only
// when the chunk's encoding statistics list the dictionary page first; parquet-rs
// (tpchgen-cli's writer) lists it last, so every TPC-H column was decoded value by value
// through Arrow's dictionary decoder (and string columns missed DictionaryStringReader).
// The order carries no meaning, so AllPagesUseTheDictionary ignores it. Should a data page
// turn out not to use the dictionary after all, Arrow's reader throws rather than
// misreading it.
std::shared_ptr<parquet::ColumnReader> DictionaryExposingColumn(parquet::RowGroupReader& row_group, int leaf) {
  auto reader = row_group.ColumnWithExposeEncoding(leaf, parquet::ExposedEncoding::DICTIONARY);
  if (reader->GetExposedEncoding() != parquet::ExposedEncoding::DICTIONARY &&
      AllPagesUseTheDictionary(*row_group.metadata()->ColumnChunk(leaf))) {
    DictionaryExposure::Expose(*reader);
  }
  return reader;
}

// Scratch for one Read, shared by every reader on the thread: a reader lives for one row
// group, and filling fresh vectors each time faulted their pages in anew (about 2% of
// TPC-H Q6's samples). `Use` tells apart scratch vectors of one Read.
template <typename T, int Use>
std::vector<T>& ThreadScratch(int64_t rows) {
  thread_local std::vector<T> scratch;
  if (scratch.size() < static_cast<size_t>(rows)) scratch.resize(static_cast<size_t>(rows));
  return scratch;
}

// out[i] = dictionary[indices[i]] for i < n, or dictionary[indices[at[i]]] with `at` (the
// rows a filter selected, ReadSelected), or an error when an index lies outside the
// dictionary. One pass (GatherClamped, with AVX-512 gathers where the CPU has them): each
// index is clamped into the dictionary, so no read strays outside it whatever the file
// holds, and the largest (as unsigned, so that a negative index counts as too large)
// decides afterwards; a clamped value is never handed out. Cheaper than Arrow's check per
// index, and than a pass for the largest before the gather, which read every index twice.
template <typename T>
arrow::Status GatherEntries(const parquet::ColumnReader& column, const int32_t* indices, int64_t n,
                            const int32_t* at, const T* dictionary, int64_t size, T* out) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "GatherClamped moves 4- and 8-byte values");
  if (n == 0) return arrow::Status::OK();
  if (dictionary == nullptr) return arrow::Status::IOError("column ", column.descr()->name(), " has no dictionary page");
  if (size == 0) {
    return arrow::Status::IOError("column ", column.descr()->name(), ": dictionary index ",
                                  indices[at != nullptr ? at[0] : 0], " is outside its dictionary of 0 values");
  }
  const auto last = static_cast<uint32_t>(std::min<int64_t>(size - 1, std::numeric_limits<uint32_t>::max()));
  const uint32_t largest = GatherClamped<static_cast<int>(sizeof(T))>(indices, n, dictionary, last, out, at);
  if (largest > last) {
    return arrow::Status::IOError("column ", column.descr()->name(), ": dictionary index ", static_cast<int32_t>(largest),
                                  " is outside its dictionary of ", size, " values");
  }
  return arrow::Status::OK();
}

// The `rows` indices in `indices` as a dictionary array over `dictionary`, once each is
// known to lie inside it (one pass for the largest: cheaper than Arrow's general
// per-index check).
arrow::Result<std::shared_ptr<arrow::Array>> IndicesOver(const parquet::ColumnReader& column,
                                                         std::shared_ptr<arrow::Buffer> indices, int64_t rows,
                                                         const std::shared_ptr<arrow::Array>& dictionary) {
  if (dictionary == nullptr) return arrow::Status::IOError("column ", column.descr()->name(), " has no dictionary page");
  const uint32_t largest = LargestIndex(reinterpret_cast<const int32_t*>(indices->data()), rows);
  if (rows > 0 && largest >= static_cast<uint64_t>(dictionary->length())) {
    return arrow::Status::IOError("column ", column.descr()->name(), ": dictionary index ",
                                  static_cast<int32_t>(largest), " is outside its dictionary of ",
                                  dictionary->length(), " values");
  }
  auto index_array =
      arrow::MakeArray(arrow::ArrayData::Make(arrow::int32(), rows, {nullptr, std::move(indices)}, /*null_count=*/0));
  return std::make_shared<arrow::DictionaryArray>(arrow::dictionary(arrow::int32(), dictionary->type()),
                                                  std::move(index_array), dictionary);
}

// The values of the `rows` dictionary indices at `indices`, as an array of `type`.
template <typename T>
arrow::Result<std::shared_ptr<arrow::Array>> GatheredArray(const parquet::ColumnReader& column,
                                                           const std::shared_ptr<arrow::DataType>& type,
                                                           const int32_t* indices, int64_t rows, const T* dictionary,
                                                           int64_t size) {
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(rows * sizeof(T)));
  ARROW_RETURN_NOT_OK(
      GatherEntries(column, indices, rows, nullptr, dictionary, size, reinterpret_cast<T*>(values->mutable_data())));
  return arrow::MakeArray(arrow::ArrayData::Make(type, rows, {nullptr, std::move(values)}, /*null_count=*/0));
}

// What ReadAsDictionary keeps per reader of a fixed-width column read by its dictionary:
// the buffer it decodes indices into, the same for each read (a fresh one per read, 256
// KB for 64K rows, was mapped and faulted in anew each time), and the chunk's dictionary
// as an array, copied once (the page reader owns the entries, and a filter's truth table
// may outlive this reader).
class ByEntryIndices {
 public:
  //! Room for `rows` indices, valid until the next call.
  arrow::Result<int32_t*> Room(int64_t rows) {
    const int64_t bytes = rows * static_cast<int64_t>(sizeof(int32_t));
    if (buffer_ == nullptr) {
      ARROW_ASSIGN_OR_RAISE(buffer_, arrow::AllocateResizableBuffer(bytes));
    } else {
      ARROW_RETURN_NOT_OK(buffer_->Resize(bytes, /*shrink_to_fit=*/false));
    }
    return reinterpret_cast<int32_t*>(buffer_->mutable_data());
  }

  //! The `rows` indices decoded into Room as ReadAsDictionary gives them: a dictionary
  //! array over the `size` entries at `dictionary` (of `type`) where those are at most
  //! `most_entries`, else the values gathered.
  template <typename T>
  arrow::Result<std::shared_ptr<arrow::Array>> Finish(const parquet::ColumnReader& column,
                                                      const std::shared_ptr<arrow::DataType>& type, int64_t rows,
                                                      const T* dictionary, int64_t size, int64_t most_entries) {
    const auto* indices = reinterpret_cast<const int32_t*>(buffer_->data());
    if (size == 0 || size > most_entries) return GatheredArray(column, type, indices, rows, dictionary, size);
    if (entries_ == nullptr) {
      ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> copy, arrow::AllocateBuffer(size * sizeof(T)));
      std::memcpy(copy->mutable_data(), dictionary, static_cast<size_t>(size) * sizeof(T));
      entries_ = arrow::MakeArray(arrow::ArrayData::Make(type, size, {nullptr, std::move(copy)}, /*null_count=*/0));
    }
    return IndicesOver(column, buffer_, rows, entries_);
  }

 private:
  std::shared_ptr<arrow::ResizableBuffer> buffer_;
  std::shared_ptr<arrow::Array> entries_;
};

template <typename ParquetType>
class FixedWidthReader final : public FlatColumnReader {
 public:
  FixedWidthReader(std::shared_ptr<parquet::ColumnReader> column, std::shared_ptr<arrow::DataType> type)
      : column_(std::move(column)),
        type_(std::move(type)),
        by_dictionary_(column_->GetExposedEncoding() == parquet::ExposedEncoding::DICTIONARY) {}

  arrow::Result<std::shared_ptr<arrow::Array>> Read(int64_t rows) override {
    if (by_dictionary_) {
      int32_t* indices = ThreadScratch<int32_t, 0>(rows).data();
      ARROW_RETURN_NOT_OK(Decode(rows, nullptr, indices));
      return GatheredArray(*column_, type_, indices, rows, dictionary_, dictionary_size_);
    }
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(rows * sizeof(Value)));
    ARROW_RETURN_NOT_OK(Decode(rows, reinterpret_cast<Value*>(values->mutable_data()), nullptr));
    return arrow::MakeArray(arrow::ArrayData::Make(type_, rows, {nullptr, std::move(values)}, /*null_count=*/0));
  }

  arrow::Result<std::shared_ptr<arrow::Array>> ReadAsDictionary(int64_t rows, int64_t most_entries) override {
    if (!by_dictionary_) return Read(rows);
    ARROW_ASSIGN_OR_RAISE(int32_t* indices, by_entry_.Room(rows));
    ARROW_RETURN_NOT_OK(Decode(rows, nullptr, indices));
    return by_entry_.Finish(*column_, type_, rows, dictionary_, dictionary_size_, most_entries);
  }

  arrow::Result<std::shared_ptr<arrow::Array>> ReadSelected(int64_t rows, const int32_t* selected,
                                                            int64_t count) override {
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(count * sizeof(Value)));
    auto* out = reinterpret_cast<Value*>(values->mutable_data());
    if (by_dictionary_) {
      int32_t* indices = ThreadScratch<int32_t, 0>(rows).data();
      ARROW_RETURN_NOT_OK(Decode(rows, nullptr, indices));
      ARROW_RETURN_NOT_OK(
          GatherEntries(*column_, indices, count, selected, dictionary_, dictionary_size_, out));
    } else {
      Value* all = ThreadScratch<Value, 3>(rows).data();
      ARROW_RETURN_NOT_OK(Decode(rows, all, nullptr));
      for (int64_t i = 0; i < count; ++i) out[i] = all[selected[i]];
    }
    return arrow::MakeArray(arrow::ArrayData::Make(type_, count, {nullptr, std::move(values)}, /*null_count=*/0));
  }

 private:
  using Value = typename ParquetType::c_type;

  // The next `rows` values into `values`, or, when every page uses the dictionary, their
  // dictionary indices into `indices`. No level buffers: the chunk has no nulls (checked
  // in MakeIfEligible) and is flat, so every level is the maximum and decoding them
  // would be thrown away.
  arrow::Status Decode(int64_t rows, Value* values, int32_t* indices) {
    auto& typed = static_cast<parquet::TypedColumnReader<ParquetType>&>(*column_);
    if (!by_dictionary_) {
      return DecodeRows(*column_, rows, [&](int64_t offset, int64_t count) {
        int64_t decoded = 0;
        typed.ReadBatch(count, /*def_levels=*/nullptr, /*rep_levels=*/nullptr, values + offset, &decoded);
        return decoded;
      });
    }
    // Indices, then one gather by the caller (see GatherEntries): Arrow's dictionary
    // decoder checks and copies value by value, a tenth of TPC-H Q8's CPU time over
    // l_partkey and l_orderkey, whose dictionaries hold most of their chunks' values.
    return DecodeRows(*column_, rows, [&](int64_t offset, int64_t count) {
      int64_t decoded = 0;
      const Value* entries = nullptr;
      int32_t entry_count = 0;
      typed.ReadBatchWithDictionary(count, /*def_levels=*/nullptr, /*rep_levels=*/nullptr, indices + offset, &decoded,
                                    &entries, &entry_count);
      // Given with the first read after the chunk's one dictionary page; owned by the
      // column reader, which lives as long as this one.
      if (entries != nullptr) {
        dictionary_ = entries;
        dictionary_size_ = entry_count;
      }
      return decoded;
    });
  }

  std::shared_ptr<parquet::ColumnReader> column_;
  std::shared_ptr<arrow::DataType> type_;
  bool by_dictionary_;
  const Value* dictionary_ = nullptr;
  int64_t dictionary_size_ = 0;
  ByEntryIndices by_entry_;
};

class DictionaryStringReader final : public FlatColumnReader {
 public:
  DictionaryStringReader(std::shared_ptr<parquet::ColumnReader> column, std::shared_ptr<arrow::DataType> values)
      : column_(std::move(column)), type_(arrow::dictionary(arrow::int32(), std::move(values))) {}

  arrow::Result<std::shared_ptr<arrow::Array>> Read(int64_t rows) override {
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> indices, arrow::AllocateBuffer(rows * sizeof(int32_t)));
    auto* out = reinterpret_cast<int32_t*>(indices->mutable_data());
    ARROW_RETURN_NOT_OK(Decode(rows, out));
    return Finish(rows, std::move(indices));
  }

  arrow::Result<std::shared_ptr<arrow::Array>> ReadSelected(int64_t rows, const int32_t* selected,
                                                            int64_t count) override {
    int32_t* all = ThreadScratch<int32_t, 0>(rows).data();
    ARROW_RETURN_NOT_OK(Decode(rows, all));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> indices, arrow::AllocateBuffer(count * sizeof(int32_t)));
    auto* out = reinterpret_cast<int32_t*>(indices->mutable_data());
    for (int64_t i = 0; i < count; ++i) out[i] = all[selected[i]];
    return Finish(count, std::move(indices));
  }

 private:
  // The next `rows` dictionary indices into `out`; the chunk's dictionary comes with the
  // first read.
  arrow::Status Decode(int64_t rows, int32_t* out) {
    auto& typed = static_cast<parquet::TypedColumnReader<parquet::ByteArrayType>&>(*column_);
    arrow::Status dictionary_status;
    ARROW_RETURN_NOT_OK(DecodeRows(*column_, rows, [&](int64_t offset, int64_t count) {
      int64_t decoded = 0;
      const parquet::ByteArray* entries = nullptr;
      int32_t entry_count = 0;
      typed.ReadBatchWithDictionary(count, /*def_levels=*/nullptr, /*rep_levels=*/nullptr, out + offset,
                                    &decoded, &entries, &entry_count);
      if (dictionary_ == nullptr && entries != nullptr) dictionary_status = BuildDictionary(entries, entry_count);
      return decoded;
    }));
    return dictionary_status;
  }

  arrow::Result<std::shared_ptr<arrow::Array>> Finish(int64_t rows, std::shared_ptr<arrow::Buffer> indices) {
    return IndicesOver(*column_, std::move(indices), rows, dictionary_);
  }

  // The dictionary's values are owned by the page reader, so they are copied, once per
  // chunk (it has one dictionary page).
  arrow::Status BuildDictionary(const parquet::ByteArray* entries, int32_t count) {
    const auto& value_type = static_cast<const arrow::DictionaryType&>(*type_).value_type();
    std::unique_ptr<arrow::ArrayBuilder> builder;
    ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), value_type, &builder));
    auto& binary = static_cast<arrow::BinaryBuilder&>(*builder);
    int64_t bytes = 0;
    for (int32_t i = 0; i < count; ++i) bytes += entries[i].len;
    ARROW_RETURN_NOT_OK(binary.Reserve(count));
    ARROW_RETURN_NOT_OK(binary.ReserveData(bytes));
    for (int32_t i = 0; i < count; ++i) binary.UnsafeAppend(entries[i].ptr, static_cast<int32_t>(entries[i].len));
    return binary.Finish(&dictionary_);
  }

  std::shared_ptr<parquet::ColumnReader> column_;
  std::shared_ptr<arrow::DataType> type_;
  std::shared_ptr<arrow::Array> dictionary_;
};

// A string or binary column whose pages do not all use the dictionary (a writer falls
// back to plain pages once the dictionary grows past its limit: TPC-H's comments and
// names) read straight into a plain string array, the values copied once from the page.
// Arrow's reader copies them into a view array when the file's stored Arrow schema says
// string_view (tpchgen-cli's does; ArrowReaderProperties::set_binary_type gives way to
// it), which the scan then cast into plain strings, copying them again: 5% of TPC-H
// Q13's samples over o_comment. A value points into its page, which the next read may
// replace, so each read's values are copied before the next.
class PlainStringReader final : public FlatColumnReader {
 public:
  PlainStringReader(std::shared_ptr<parquet::ColumnReader> column, std::shared_ptr<arrow::DataType> type,
                    int64_t bytes_per_value)
      : column_(std::move(column)), type_(std::move(type)), bytes_per_value_(bytes_per_value) {}

  arrow::Result<std::shared_ptr<arrow::Array>> Read(int64_t rows) override { return Copy(rows, nullptr, rows); }

  arrow::Result<std::shared_ptr<arrow::Array>> ReadSelected(int64_t rows, const int32_t* selected,
                                                            int64_t count) override {
    return Copy(rows, selected, count);
  }

 private:
  // The next `rows` values, of which the `count` at `selected` (all when null) are
  // copied into the array.
  arrow::Result<std::shared_ptr<arrow::Array>> Copy(int64_t rows, const int32_t* selected, int64_t count) {
    auto& typed = static_cast<parquet::TypedColumnReader<parquet::ByteArrayType>&>(*column_);
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> offsets_buffer,
                          arrow::AllocateBuffer((count + 1) * sizeof(int32_t)));
    auto* offsets = reinterpret_cast<int32_t*>(offsets_buffer->mutable_data());
    offsets[0] = 0;
    arrow::BufferBuilder data;
    ARROW_RETURN_NOT_OK(data.Reserve(count * bytes_per_value_));
    parquet::ByteArray* values = ThreadScratch<parquet::ByteArray, 5>(rows).data();
    int64_t kept = 0;  // values copied so far
    arrow::Status copied;
    const arrow::Status decoded_all = DecodeRows(*column_, rows, [&](int64_t offset, int64_t n) -> int64_t {
      int64_t decoded = 0;
      typed.ReadBatch(n, /*def_levels=*/nullptr, /*rep_levels=*/nullptr, values + offset, &decoded);
      // The values of this read that are kept: [offset, offset + decoded), or the
      // selected among them.
      int64_t end = kept;
      if (selected == nullptr) {
        end = offset + decoded;
      } else {
        while (end < count && selected[end] < offset + decoded) ++end;
      }
      auto row = [&](int64_t i) { return selected == nullptr ? i : static_cast<int64_t>(selected[i]); };
      int64_t bytes = data.length();
      for (int64_t i = kept; i < end; ++i) bytes += values[row(i)].len;
      if (bytes > std::numeric_limits<int32_t>::max()) {
        copied = arrow::Status::IOError("column ", column_->descr()->name(), ": a batch of ", end,
                                        " values holds more than 2 GiB, more than one string array can");
        return 0;
      }
      copied = data.Reserve(bytes - data.length());
      if (!copied.ok()) return 0;
      for (int64_t i = kept; i < end; ++i) {
        const parquet::ByteArray& value = values[row(i)];
        data.UnsafeAppend(value.ptr, value.len);
        offsets[i + 1] = static_cast<int32_t>(data.length());
      }
      kept = end;
      return decoded;
    });
    ARROW_RETURN_NOT_OK(copied);  // first: stopping the decode for it reads as a shortfall too
    ARROW_RETURN_NOT_OK(decoded_all);
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bytes, data.Finish());
    return arrow::MakeArray(
        arrow::ArrayData::Make(type_, count, {nullptr, std::move(offsets_buffer), std::move(bytes)}, /*null_count=*/0));
  }

  std::shared_ptr<parquet::ColumnReader> column_;
  std::shared_ptr<arrow::DataType> type_;
  int64_t bytes_per_value_;  // the chunk's average, to size the data buffer once
};


// A decimal column stored as INT32 or INT64 read as float64, the values
// sabot_decimal_to_float64 gives for the decimal128 array Arrow's reader would make, without
// making it (16 bytes a value, widened one by one). When every page uses the dictionary,
// its entries are converted once and each row gathers its entry's double; otherwise each
// value is converted. A chunk that may hold nulls decodes its definition levels too and
// spreads the values over the rows.
template <typename ParquetType>
class DecimalAsFloat64Reader final : public FlatColumnReader {
 public:
  using Value = typename ParquetType::c_type;

  DecimalAsFloat64Reader(std::shared_ptr<parquet::ColumnReader> column, int32_t scale, bool may_hold_nulls)
      : column_(std::move(column)),
        convert_(scale),
        by_dictionary_(column_->GetExposedEncoding() == parquet::ExposedEncoding::DICTIONARY),
        may_hold_nulls_(may_hold_nulls),
        max_definition_(column_->descr()->max_definition_level()) {}

  arrow::Result<std::shared_ptr<arrow::Array>> Read(int64_t rows) override {
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(rows * sizeof(double)));
    auto* out = reinterpret_cast<double*>(values->mutable_data());
    int16_t* levels = may_hold_nulls_ ? ThreadScratch<int16_t, 0>(rows).data() : nullptr;
    int32_t* indices = by_dictionary_ ? ThreadScratch<int32_t, 1>(rows).data() : nullptr;
    Value* unscaled = by_dictionary_ ? nullptr : ThreadScratch<Value, 2>(rows).data();
    // The values present, in order, converted into out[0, present).
    ARROW_ASSIGN_OR_RAISE(const int64_t present, DecodePresent(rows, levels, indices, unscaled));
    if (by_dictionary_) {
      ARROW_RETURN_NOT_OK(GatherEntries(*column_, indices, present, nullptr,
                                        dictionary_.empty() ? nullptr : dictionary_.data(),
                                        static_cast<int64_t>(dictionary_.size()), out));
    } else {
      convert_.Convert(unscaled, present, out);
    }
    if (levels == nullptr || present == rows) {
      return arrow::MakeArray(arrow::ArrayData::Make(arrow::float64(), rows, {nullptr, std::move(values)}, 0));
    }
    // Spread the values over their rows from the back, so each moves at most once and
    // none is overwritten before it moved.
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> validity, arrow::AllocateBitmap(rows));
    uint8_t* bits = validity->mutable_data();
    int64_t next = present;
    for (int64_t row = rows; row-- > 0;) {
      const bool valid = levels[row] == max_definition_;
      out[row] = valid ? out[--next] : 0.0;
      arrow::bit_util::SetBitTo(bits, row, valid);
    }
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::float64(), rows, {std::move(validity), std::move(values)}, rows - present));
  }

  arrow::Result<std::shared_ptr<arrow::Array>> ReadAsDictionary(int64_t rows, int64_t most_entries) override {
    if (!by_dictionary_ || may_hold_nulls_) return Read(rows);
    ARROW_ASSIGN_OR_RAISE(int32_t* indices, by_entry_.Room(rows));
    ARROW_RETURN_NOT_OK(DecodePresent(rows, nullptr, indices, nullptr).status());
    return by_entry_.Finish(*column_, arrow::float64(), rows, dictionary_.empty() ? nullptr : dictionary_.data(),
                            static_cast<int64_t>(dictionary_.size()), most_entries);
  }

  arrow::Result<std::shared_ptr<arrow::Array>> ReadSelected(int64_t rows, const int32_t* selected,
                                                            int64_t count) override {
    if (may_hold_nulls_) return FlatColumnReader::ReadSelected(rows, selected, count);
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(count * sizeof(double)));
    auto* out = reinterpret_cast<double*>(values->mutable_data());
    if (by_dictionary_) {
      int32_t* indices = ThreadScratch<int32_t, 1>(rows).data();
      ARROW_RETURN_NOT_OK(DecodePresent(rows, nullptr, indices, nullptr).status());
      ARROW_RETURN_NOT_OK(GatherEntries(*column_, indices, count, selected,
                                        dictionary_.empty() ? nullptr : dictionary_.data(),
                                        static_cast<int64_t>(dictionary_.size()), out));
    } else {
      Value* unscaled = ThreadScratch<Value, 2>(rows).data();
      ARROW_RETURN_NOT_OK(DecodePresent(rows, nullptr, nullptr, unscaled).status());
      Value* kept = ThreadScratch<Value, 4>(count).data();
      for (int64_t i = 0; i < count; ++i) kept[i] = unscaled[selected[i]];
      convert_.Convert(kept, count, out);
    }
    return arrow::MakeArray(arrow::ArrayData::Make(arrow::float64(), count, {nullptr, std::move(values)}, 0));
  }

 private:
  // Decodes the next `rows` rows: their definition levels into `levels` (when the chunk
  // may hold nulls), and the values present, in order, as dictionary indices into
  // `indices` (the chunk's dictionary is converted with the first read) or unscaled into
  // `unscaled`. Returns how many values are present.
  arrow::Result<int64_t> DecodePresent(int64_t rows, int16_t* levels, int32_t* indices, Value* unscaled) {
    auto& typed = static_cast<parquet::TypedColumnReader<ParquetType>&>(*column_);
    int64_t present = 0;
    if (by_dictionary_) {
      ARROW_RETURN_NOT_OK(DecodeRows(*column_, rows, [&](int64_t offset, int64_t count) {
        int64_t decoded = 0;
        const Value* entries = nullptr;
        int32_t entry_count = 0;
        const int64_t rows_read =
            typed.ReadBatchWithDictionary(count, levels ? levels + offset : nullptr, /*rep_levels=*/nullptr,
                                          indices + present, &decoded, &entries, &entry_count);
        if (dictionary_.empty() && entries != nullptr) {
          dictionary_.resize(static_cast<size_t>(entry_count));
          convert_.Convert(entries, entry_count, dictionary_.data());
        }
        present += decoded;
        return levels ? rows_read : decoded;
      }));
    } else {
      ARROW_RETURN_NOT_OK(DecodeRows(*column_, rows, [&](int64_t offset, int64_t count) {
        int64_t decoded = 0;
        const int64_t rows_read = typed.ReadBatch(count, levels ? levels + offset : nullptr, /*rep_levels=*/nullptr,
                                                  unscaled + present, &decoded);
        present += decoded;
        return levels ? rows_read : decoded;
      }));
    }
    return present;
  }

  std::shared_ptr<parquet::ColumnReader> column_;
  UnscaledToFloat64 convert_;
  bool by_dictionary_;
  bool may_hold_nulls_;
  int16_t max_definition_;
  UninitVector<double> dictionary_;  // the chunk's one dictionary, converted (not zeroed first)
  ByEntryIndices by_entry_;
};

std::optional<parquet::LogicalType::TimeUnit::unit> TimeUnitOf(const arrow::DataType& type) {
  switch (static_cast<const arrow::TimestampType&>(type).unit()) {
    case arrow::TimeUnit::MILLI:
      return parquet::LogicalType::TimeUnit::MILLIS;
    case arrow::TimeUnit::MICRO:
      return parquet::LogicalType::TimeUnit::MICROS;
    case arrow::TimeUnit::NANO:
      return parquet::LogicalType::TimeUnit::NANOS;
    default:
      return std::nullopt;  // seconds are stored as milliseconds and need a conversion
  }
}

bool IsSignedInt(const parquet::LogicalType& logical, int bits) {
  if (logical.is_none()) return true;
  if (!logical.is_int()) return false;
  const auto& as_int = static_cast<const parquet::IntLogicalType&>(logical);
  return as_int.is_signed() && as_int.bit_width() == bits;
}

// Whether values of `type` have exactly the bytes the column stores, so no conversion is
// needed between the decoded values and the Arrow buffer.
bool StoredAsIs(const parquet::ColumnDescriptor& column, const arrow::DataType& type) {
  const parquet::LogicalType& logical = *column.logical_type();
  switch (column.physical_type()) {
    case parquet::Type::INT32:
      if (type.id() == arrow::Type::INT32) return IsSignedInt(logical, 32);
      return type.id() == arrow::Type::DATE32 && logical.is_date();
    case parquet::Type::INT64:
      if (type.id() == arrow::Type::INT64) return IsSignedInt(logical, 64);
      if (type.id() != arrow::Type::TIMESTAMP || !logical.is_timestamp()) return false;
      return TimeUnitOf(type) ==
             static_cast<const parquet::TimestampLogicalType&>(logical).time_unit();
    case parquet::Type::FLOAT:
      return type.id() == arrow::Type::FLOAT;
    case parquet::Type::DOUBLE:
      return type.id() == arrow::Type::DOUBLE;
    default:
      return false;
  }
}

// The value type a string column is read with (its dictionary's), or nullptr when `type`
// is not one the dictionary reader makes.
std::shared_ptr<arrow::DataType> DictionaryValueType(const arrow::DataType& type, bool expand) {
  const arrow::DataType* values = &type;
  if (type.id() == arrow::Type::DICTIONARY) {
    const auto& dictionary = static_cast<const arrow::DictionaryType&>(type);
    if (dictionary.index_type()->id() != arrow::Type::INT32) return nullptr;
    values = dictionary.value_type().get();
  } else if (!expand) {
    return nullptr;
  }
  if (values->id() == arrow::Type::STRING) return arrow::utf8();
  if (values->id() == arrow::Type::BINARY) return arrow::binary();
  return nullptr;
}

// The plain type a string column read as `type` is copied into (a view type's), or
// nullptr when PlainStringReader does not make it (dictionaries, large strings).
std::shared_ptr<arrow::DataType> PlainStringType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY:
    case arrow::Type::BINARY_VIEW:
      return arrow::binary();
    default:
      return nullptr;
  }
}

bool HasNoNulls(const parquet::ColumnDescriptor& column, const parquet::ColumnChunkMetaData& chunk) {
  if (column.max_definition_level() == 0) return true;
  auto stats = chunk.statistics();
  return stats != nullptr && stats->HasNullCount() && stats->null_count() == 0;
}

std::unique_ptr<FlatColumnReader> MakeDecimalAsFloat64(parquet::RowGroupReader& row_group, int leaf,
                                                       const parquet::ColumnDescriptor& column, bool may_hold_nulls) {
  const int32_t scale = static_cast<const parquet::DecimalLogicalType&>(*column.logical_type()).scale();
  switch (column.physical_type()) {
    case parquet::Type::INT32:
      return std::make_unique<DecimalAsFloat64Reader<parquet::Int32Type>>(
          DictionaryExposingColumn(row_group, leaf), scale, may_hold_nulls);
    case parquet::Type::INT64:
      return std::make_unique<DecimalAsFloat64Reader<parquet::Int64Type>>(
          DictionaryExposingColumn(row_group, leaf), scale, may_hold_nulls);
    default:
      return nullptr;  // fixed-size binary: Arrow's reader and the cast kernel
  }
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::Array>> FlatColumnReader::ReadSelected(int64_t rows, const int32_t* selected,
                                                                          int64_t count) {
  ARROW_ASSIGN_OR_RAISE(auto all, Read(rows));
  auto indices = std::make_shared<arrow::Int32Array>(
      count, arrow::Buffer::Wrap(selected, static_cast<size_t>(count)));
  ARROW_ASSIGN_OR_RAISE(auto kept, arrow::compute::Take(*all, *indices));
  return kept;
}

arrow::Result<std::shared_ptr<arrow::Array>> FlatColumnReader::ReadAsDictionary(int64_t rows, int64_t) {
  return Read(rows);
}

bool AllPagesUseTheDictionary(const parquet::ColumnChunkMetaData& chunk) {
  if (!chunk.has_dictionary_page() || chunk.encoding_stats().empty()) return false;
  for (const auto& stats : chunk.encoding_stats()) {
    const bool data = stats.page_type == parquet::PageType::DATA_PAGE ||
                      stats.page_type == parquet::PageType::DATA_PAGE_V2;
    if (data && stats.encoding != parquet::Encoding::RLE_DICTIONARY &&
        stats.encoding != parquet::Encoding::PLAIN_DICTIONARY) {
      return false;
    }
  }
  return true;
}

std::unique_ptr<FlatColumnReader> FlatColumnReader::MakeIfEligible(
    parquet::RowGroupReader& row_group, int leaf, const std::shared_ptr<arrow::DataType>& type,
    bool expand) {
  try {
    const parquet::ColumnDescriptor& column = *row_group.metadata()->schema()->Column(leaf);
    if (column.max_repetition_level() != 0 || column.path()->ToDotVector().size() != 1) return nullptr;
    const bool no_nulls = HasNoNulls(column, *row_group.metadata()->ColumnChunk(leaf));
    if (type->id() == arrow::Type::DOUBLE && column.logical_type()->is_decimal()) {
      return MakeDecimalAsFloat64(row_group, leaf, column, !no_nulls);
    }
    if (!no_nulls) return nullptr;
    if (column.physical_type() == parquet::Type::BYTE_ARRAY) {
      auto values = DictionaryValueType(*type, expand);
      std::shared_ptr<parquet::ColumnReader> reader;
      if (values != nullptr) {
        // Parquet exposes the indices only when every page of the chunk uses the dictionary.
        reader = DictionaryExposingColumn(row_group, leaf);
        if (reader->GetExposedEncoding() == parquet::ExposedEncoding::DICTIONARY) {
          return std::make_unique<DictionaryStringReader>(std::move(reader), std::move(values));
        }
      }
      auto plain = PlainStringType(*type);
      if (plain == nullptr) return nullptr;
      if (reader == nullptr) reader = row_group.Column(leaf);
      const auto chunk = row_group.metadata()->ColumnChunk(leaf);
      const int64_t bytes_per_value =
          chunk->num_values() > 0 ? chunk->total_uncompressed_size() / chunk->num_values() : 0;
      return std::make_unique<PlainStringReader>(std::move(reader), std::move(plain), bytes_per_value);
    }
    if (!StoredAsIs(column, *type)) return nullptr;
    auto reader = DictionaryExposingColumn(row_group, leaf);
    switch (column.physical_type()) {
      case parquet::Type::INT32:
        return std::make_unique<FixedWidthReader<parquet::Int32Type>>(std::move(reader), type);
      case parquet::Type::INT64:
        return std::make_unique<FixedWidthReader<parquet::Int64Type>>(std::move(reader), type);
      case parquet::Type::FLOAT:
        return std::make_unique<FixedWidthReader<parquet::FloatType>>(std::move(reader), type);
      case parquet::Type::DOUBLE:
        return std::make_unique<FixedWidthReader<parquet::DoubleType>>(std::move(reader), type);
      default:
        return nullptr;
    }
  } catch (const std::exception&) {
    return nullptr;  // Arrow's reader meets the same problem and reports it
  }
}

}  // namespace sabot
