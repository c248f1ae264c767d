// Copies the batches' columns into preallocated arrays, each worker its range of batches.
#include "sabot/ops/concatenate_batches.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <arrow/array/concatenate.h>
#include <arrow/array/array_base.h>
#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/exec/task_pool.h"

namespace sabot {

namespace {

// How a column is copied. Only columns without nulls are copied by batch ranges: the
// validity bits of two batches can share a byte, which two workers would both write.
enum class CopyKind { kArrow, kFixed, kBinary32, kBinary64 };

CopyKind KindOf(const arrow::DataType& type, const arrow::ArrayVector& chunks) {
  for (const auto& chunk : chunks) {
    if (chunk->null_count() != 0) return CopyKind::kArrow;
  }
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return CopyKind::kBinary32;
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return CopyKind::kBinary64;
    case arrow::Type::DICTIONARY:
    case arrow::Type::EXTENSION:
      return CopyKind::kArrow;
    default:
      break;
  }
  const auto* fixed = dynamic_cast<const arrow::FixedWidthType*>(&type);
  const bool whole_bytes = fixed != nullptr && fixed->bit_width() > 0 && fixed->bit_width() % 8 == 0;
  return whole_bytes && type.layout().buffers.size() == 2 ? CopyKind::kFixed : CopyKind::kArrow;
}

// One column's output and where each batch's values start in it.
struct ColumnCopy {
  CopyKind kind = CopyKind::kArrow;
  int64_t width = 0;                       // fixed width: bytes a value
  std::shared_ptr<arrow::Buffer> offsets;  // strings: (rows + 1) offsets
  std::shared_ptr<arrow::Buffer> values;   // fixed width: the values; strings: the bytes
  std::vector<int64_t> byte_start;         // strings: each batch's first byte in `values`
  arrow::ArrayVector chunks;
};

template <typename Offset>
int64_t ValueBytes(const arrow::ArrayData& data) {
  if (data.length == 0) return 0;  // an empty array may have no offsets buffer
  const auto* offsets = data.GetValues<Offset>(1);
  return static_cast<int64_t>(offsets[data.length] - offsets[0]);
}

template <typename Offset>
void CopyBinary(const arrow::ArrayData& data, int64_t row_start, int64_t byte_start, Offset* out_offsets,
                uint8_t* out_values) {
  if (data.length == 0) return;
  const auto* offsets = data.GetValues<Offset>(1);
  const Offset first = offsets[0];
  for (int64_t i = 0; i < data.length; ++i) {
    out_offsets[row_start + i] = static_cast<Offset>(byte_start + (offsets[i] - first));
  }
  const int64_t bytes = static_cast<int64_t>(offsets[data.length] - first);
  if (bytes > 0) std::memcpy(out_values + byte_start, data.buffers[2]->data() + first, static_cast<size_t>(bytes));
}

template <typename Offset>
Status PlanBinary(int64_t rows, ColumnCopy* column) {
  column->byte_start.assign(column->chunks.size() + 1, 0);
  for (size_t b = 0; b < column->chunks.size(); ++b) {
    column->byte_start[b + 1] = column->byte_start[b] + ValueBytes<Offset>(*column->chunks[b]->data());
  }
  const int64_t total = column->byte_start.back();
  if (total > static_cast<int64_t>(std::numeric_limits<Offset>::max())) {
    column->kind = CopyKind::kArrow;  // Arrow's concatenation reports the overflow
    return Status::OK();
  }
  ARROW_ASSIGN_OR_RAISE(column->offsets, arrow::AllocateBuffer((rows + 1) * static_cast<int64_t>(sizeof(Offset))));
  ARROW_ASSIGN_OR_RAISE(column->values, arrow::AllocateBuffer(total));
  column->offsets->mutable_data_as<Offset>()[rows] = static_cast<Offset>(total);
  return Status::OK();
}

}  // namespace

Result<arrow::ArrayVector> ConcatenateBatchColumns(const arrow::Schema& schema,
                                                   const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                                                   int workers) {
  const int num_columns = schema.num_fields();
  workers = std::max(1, workers);
  arrow::ArrayVector out(num_columns);
  if (batches.size() <= 1) {
    for (int c = 0; c < num_columns; ++c) {
      if (batches.empty()) {
        ARROW_ASSIGN_OR_RAISE(out[c], arrow::MakeEmptyArray(schema.field(c)->type()));
      } else {
        out[c] = batches.front()->column(c);
      }
    }
    return out;
  }
  const auto num_batches = static_cast<int64_t>(batches.size());
  std::vector<int64_t> row_start(batches.size() + 1, 0);
  for (int64_t b = 0; b < num_batches; ++b) row_start[b + 1] = row_start[b] + batches[b]->num_rows();
  const int64_t rows = row_start.back();

  std::vector<ColumnCopy> columns(num_columns);
  std::vector<int> by_arrow;  // the columns arrow::Concatenate copies, a column per worker
  for (int c = 0; c < num_columns; ++c) {
    ColumnCopy& column = columns[c];
    for (const auto& batch : batches) column.chunks.push_back(batch->column(c));
    const arrow::DataType& type = *schema.field(c)->type();
    column.kind = KindOf(type, column.chunks);
    if (column.kind == CopyKind::kFixed) {
      column.width = static_cast<const arrow::FixedWidthType&>(type).bit_width() / 8;
      ARROW_ASSIGN_OR_RAISE(column.values, arrow::AllocateBuffer(rows * column.width));
    } else if (column.kind == CopyKind::kBinary32) {
      RETURN_NOT_OK(PlanBinary<int32_t>(rows, &column));
    } else if (column.kind == CopyKind::kBinary64) {
      RETURN_NOT_OK(PlanBinary<int64_t>(rows, &column));
    }
    if (column.kind == CopyKind::kArrow) by_arrow.push_back(c);
  }

  std::vector<Status> arrow_status(num_columns);
  // One task per column left to arrow::Concatenate (first: they are the longest), then
  // one per batch (its rows of every column copied here); workers claim them, so one
  // that starts late does fewer.
  const auto arrow_tasks = static_cast<int64_t>(by_arrow.size());
  RunClaimed(workers, arrow_tasks + num_batches, [&](int64_t task) {
    if (task < arrow_tasks) {
      const int c = by_arrow[task];
      auto concatenated = arrow::Concatenate(columns[c].chunks);
      if (concatenated.ok()) {
        out[c] = *std::move(concatenated);
      } else {
        arrow_status[c] = concatenated.status();
      }
      return;
    }
    const int64_t b = task - arrow_tasks;
    for (ColumnCopy& column : columns) {
      const arrow::ArrayData& data = *column.chunks[b]->data();
      switch (column.kind) {
        case CopyKind::kFixed:
          if (data.length > 0) {
            std::memcpy(column.values->mutable_data() + row_start[b] * column.width,
                        data.buffers[1]->data() + data.offset * column.width,
                        static_cast<size_t>(data.length * column.width));
          }
          break;
        case CopyKind::kBinary32:
          CopyBinary<int32_t>(data, row_start[b], column.byte_start[b], column.offsets->mutable_data_as<int32_t>(),
                              column.values->mutable_data());
          break;
        case CopyKind::kBinary64:
          CopyBinary<int64_t>(data, row_start[b], column.byte_start[b], column.offsets->mutable_data_as<int64_t>(),
                              column.values->mutable_data());
          break;
        case CopyKind::kArrow:
          break;  // one task for the whole column, above
      }
    }
  });
  for (int c = 0; c < num_columns; ++c) {
    RETURN_NOT_OK(arrow_status[c]);
    const ColumnCopy& column = columns[c];
    const auto& type = schema.field(c)->type();
    if (column.kind == CopyKind::kFixed) {
      out[c] = arrow::MakeArray(arrow::ArrayData::Make(type, rows, {nullptr, column.values}, 0));
    } else if (column.kind == CopyKind::kBinary32 || column.kind == CopyKind::kBinary64) {
      out[c] = arrow::MakeArray(arrow::ArrayData::Make(type, rows, {nullptr, column.offsets, column.values}, 0));
    }
  }
  return out;
}

}  // namespace sabot
