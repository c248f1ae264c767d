// MakeSource: dispatches a SourceSpec to the source of its kind and format.
#include "sabot/io/source_factory.h"

#include "sabot/io/csv_source.h"
#include "sabot/io/generator_source.h"
#include "sabot/io/idle_timeout_source.h"
#include "sabot/io/ipc_source.h"
#include "sabot/io/json_source.h"
#include "sabot/io/memory_source.h"
#include "sabot/io/nexmark_source.h"
#include "sabot/io/parquet_source.h"

namespace sabot {

namespace {

Result<std::shared_ptr<Source>> MakeSourceOfKind(const SourceSpec& spec) {
  switch (spec.kind) {
    case SourceSpec::Kind::kGenerator: return GeneratorSource::Make(spec);
    case SourceSpec::Kind::kMemory: return MemorySource::Make(spec);
    case SourceSpec::Kind::kNexmark: return NexmarkSource::Make(spec);
    case SourceSpec::Kind::kFile: break;
  }
  switch (spec.format) {
    case FileFormat::kCsv: return CsvSource::Make(spec);
    case FileFormat::kJsonLines: return JsonSource::Make(spec);
    case FileFormat::kIpcFile:
    case FileFormat::kIpcStream: return IpcSource::Make(spec);
    case FileFormat::kParquet: return ParquetSource::Make(spec);
  }
  return Status::Invalid("unknown file format ", static_cast<int>(spec.format));
}

}  // namespace

Result<std::shared_ptr<Source>> MakeSource(const SourceSpec& spec) {
  if (spec.idle_timeout_us < 0) {
    return Status::Invalid("idle timeout must not be negative, got ", spec.idle_timeout_us, " us");
  }
  ARROW_ASSIGN_OR_RAISE(auto source, MakeSourceOfKind(spec));
  if (spec.idle_timeout_us == 0) return source;
  return std::make_shared<IdleTimeoutSource>(std::move(source), std::chrono::microseconds(spec.idle_timeout_us));
}

}  // namespace sabot
