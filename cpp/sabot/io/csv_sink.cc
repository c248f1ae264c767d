// CSV file sink on arrow::csv::MakeCSVWriter.
#include "sabot/io/csv_sink.h"

#include <arrow/csv/writer.h>
#include <arrow/ipc/writer.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

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
    auto options = arrow::csv::WriteOptions::Defaults();
    options.include_header = true;
    ARROW_ASSIGN_OR_RAISE(writer_,
                          arrow::csv::MakeCSVWriter(std::move(stream), input_schema(), options));
    return Status::OK();
  }

  Status WriteBatch(const arrow::RecordBatch& batch) override {
    return writer_->WriteRecordBatch(batch);
  }

  Status FinishFormat() override { return writer_->Close(); }

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
