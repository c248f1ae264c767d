// Parquet file sink on parquet::arrow::FileWriter.
#include "sabot/io/parquet_sink.h"

#include <arrow/io/interfaces.h>
#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

namespace sabot {
namespace {

//! zstd compresses better than snappy at similar speed; both are optional in Arrow builds.
arrow::Compression::type ChooseCompression() {
  for (auto codec : {arrow::Compression::ZSTD, arrow::Compression::SNAPPY}) {
    if (arrow::util::Codec::IsAvailable(codec)) return codec;
  }
  return arrow::Compression::UNCOMPRESSED;
}

class ParquetSink final : public FileSink {
 public:
  using FileSink::FileSink;
  using FileSink::Open;

  std::string_view name() const override { return "ParquetSink"; }

 protected:
  Status StartFormat(std::shared_ptr<arrow::io::OutputStream> stream) override {
    auto properties = parquet::WriterProperties::Builder()
                          .compression(ChooseCompression())
                          ->max_row_group_length(kParquetMaxRowGroupRows)
                          ->build();
    // The stored Arrow schema brings back types Parquet lacks (tz names, large_string).
    // Columns are encoded on this thread: a sink copy runs on one pipeline thread.
    auto arrow_properties = parquet::ArrowWriterProperties::Builder()
                                .store_schema()
                                ->set_use_threads(false)
                                ->build();
    ARROW_ASSIGN_OR_RAISE(
        writer_, parquet::arrow::FileWriter::Open(*input_schema(), arrow::default_memory_pool(),
                                                  std::move(stream), properties,
                                                  arrow_properties));
    return Status::OK();
  }

  // Buffered row groups: many small batches still make row groups of up to the limit.
  Status WriteBatch(const arrow::RecordBatch& batch) override {
    return writer_->WriteRecordBatch(batch);
  }

  Status FinishFormat() override { return writer_->Close(); }

 private:
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeParquetSink(std::string path,
                                              std::shared_ptr<arrow::Schema> input_schema,
                                              SinkOutput* output) {
  auto sink = std::make_unique<ParquetSink>(std::move(path), std::move(input_schema), output);
  ARROW_RETURN_NOT_OK(sink->Open());
  return sink;
}

}  // namespace sabot
