// MakeSink: picks the sink for a SinkSpec.
#include "sabot/io/sink_factory.h"

#include <arrow/compute/initialize.h>

#include "sabot/io/collect_sink.h"
#include "sabot/io/count_sink.h"
#include "sabot/io/csv_sink.h"
#include "sabot/io/ipc_sink.h"
#include "sabot/io/json_sink.h"
#include "sabot/io/parquet_sink.h"
#include "sabot/io/partitioned_file_sink.h"
#include "sabot/io/print_sink.h"

namespace sabot {

Result<std::unique_ptr<Sink>> MakeSink(const SinkSpec& spec,
                                       std::shared_ptr<arrow::Schema> input_schema,
                                       SinkOutput* output) {
  SABOT_CHECK(input_schema != nullptr);
  SABOT_CHECK(output != nullptr);
  // The CSV writer and value printing cast through compute kernels, which Arrow 21+
  // registers only on request. Initialize() is idempotent.
  ARROW_RETURN_NOT_OK(arrow::compute::Initialize());
  switch (spec.kind) {
    case SinkSpec::Kind::kFile:
      if (!spec.partition_by.empty()) return MakePartitionedFileSink(spec, std::move(input_schema), output);
      switch (spec.format) {
        case FileFormat::kCsv: return MakeCsvSink(spec.path, std::move(input_schema), output);
        case FileFormat::kJsonLines:
          return MakeJsonSink(spec.path, std::move(input_schema), output);
        case FileFormat::kIpcFile:
          return MakeIpcSink(spec.path, std::move(input_schema), /*stream_format=*/false, output);
        case FileFormat::kIpcStream:
          return MakeIpcSink(spec.path, std::move(input_schema), /*stream_format=*/true, output);
        case FileFormat::kParquet:
          return MakeParquetSink(spec.path, std::move(input_schema), output);
      }
      return Status::Invalid("unknown file format ", static_cast<int>(spec.format), " for sink ",
                             spec.path);
    case SinkSpec::Kind::kPrint:
      return MakePrintSink(std::move(input_schema), spec.max_print_rows, output);
    case SinkSpec::Kind::kCollect: return MakeCollectSink(std::move(input_schema), output);
    case SinkSpec::Kind::kCount: return MakeCountSink(std::move(input_schema), output);
  }
  return Status::Invalid("unknown sink kind ", static_cast<int>(spec.kind));
}

}  // namespace sabot
