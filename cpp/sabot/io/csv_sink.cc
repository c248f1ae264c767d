// CSV file sink: Sabot's CsvEncoder where it has every column's type, else
// arrow::csv::MakeCSVWriter; both write the same text.
#include "sabot/io/csv_sink.h"

#include <arrow/csv/writer.h>
#include <arrow/io/interfaces.h>
#include <arrow/ipc/writer.h>
#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/io/csv_encoder.h"

namespace sabot {
namespace {

class CsvSink final : public FileSink {
 public:
  using FileSink::FileSink;
  using FileSink::Open;

  std::string_view name() const override { return "CsvSink"; }

 protected:
  Status StartFormat(std::shared_ptr<arrow::io::OutputStream> stream) override {
    // Arrow's own error for an unsupported type does not say which column; find it first.
    for (const auto& field : input_schema()->fields()) {
      if (!IsCsvWritable(*field->type())) {
        return Status::TypeError("column '", field->name(), "' has type ",
                                 field->type()->ToString(), ", which CSV cannot hold");
      }
    }
    stream_ = std::move(stream);
    if (!CsvEncoder::Supports(*input_schema())) return ArrowWriter(/*header=*/true).status();
    return stream_->Write(CsvEncoder::Header(*input_schema()));
  }

  Status WriteBatch(const arrow::RecordBatch& batch) override {
    if (writer_ == nullptr) {
      auto text = CsvEncoder::Encode(batch, arrow::default_memory_pool());
      if (text.ok()) return stream_->Write(*text);
      // A date outside years 0000-9999: Arrow's writer formats such batches (the header
      // is written already).
    }
    ARROW_ASSIGN_OR_RAISE(auto* writer, ArrowWriter(/*header=*/false));
    return writer->WriteRecordBatch(batch);
  }

  Status FinishFormat() override { return writer_ == nullptr ? Status::OK() : writer_->Close(); }

 private:
  static bool IsCsvWritable(const arrow::DataType& type) {
    switch (type.id()) {
      case arrow::Type::LIST:
      case arrow::Type::LARGE_LIST:
      case arrow::Type::LIST_VIEW:
      case arrow::Type::LARGE_LIST_VIEW:
      case arrow::Type::FIXED_SIZE_LIST:
      case arrow::Type::STRUCT:
      case arrow::Type::MAP:
      case arrow::Type::SPARSE_UNION:
      case arrow::Type::DENSE_UNION:
        return false;
      default:
        return true;
    }
  }

  // Arrow's writer on the same stream, made the first time a batch needs it.
  Result<arrow::ipc::RecordBatchWriter*> ArrowWriter(bool header) {
    if (writer_ == nullptr) {
      auto options = arrow::csv::WriteOptions::Defaults();
      options.include_header = header;
      ARROW_ASSIGN_OR_RAISE(writer_, arrow::csv::MakeCSVWriter(stream_, input_schema(), options));
    }
    return writer_.get();
  }

  std::shared_ptr<arrow::io::OutputStream> stream_;
  std::shared_ptr<arrow::ipc::RecordBatchWriter> writer_;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeCsvSink(std::string path,
                                          std::shared_ptr<arrow::Schema> input_schema,
                                          SinkOutput* output) {
  auto sink = std::make_unique<CsvSink>(std::move(path), std::move(input_schema), output);
  ARROW_RETURN_NOT_OK(sink->Open());
  return sink;
}

}  // namespace sabot
