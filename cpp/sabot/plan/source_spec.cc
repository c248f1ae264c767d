// File format names.
#include "sabot/plan/source_spec.h"

namespace sabot {

std::string_view ToString(FileFormat format) {
  switch (format) {
    case FileFormat::kCsv: return "csv";
    case FileFormat::kJsonLines: return "jsonl";
    case FileFormat::kIpcFile: return "ipc";
    case FileFormat::kIpcStream: return "ipc_stream";
    case FileFormat::kParquet: return "parquet";
  }
  return "?";
}

Result<FileFormat> ParseFileFormat(std::string_view name) {
  for (auto f : {FileFormat::kCsv, FileFormat::kJsonLines, FileFormat::kIpcFile,
                 FileFormat::kIpcStream, FileFormat::kParquet}) {
    if (ToString(f) == name) return f;
  }
  if (name == "json") return FileFormat::kJsonLines;
  if (name == "arrow" || name == "feather") return FileFormat::kIpcFile;
  return Status::Invalid("unknown file format '", name,
                         "' (expected csv, jsonl, ipc, ipc_stream or parquet)");
}

std::string_view ToString(NexmarkOptions::Table table) {
  switch (table) {
    case NexmarkOptions::Table::kPerson: return "person";
    case NexmarkOptions::Table::kAuction: return "auction";
    case NexmarkOptions::Table::kBid: return "bid";
  }
  return "?";
}

Result<NexmarkOptions::Table> ParseNexmarkTable(std::string_view name) {
  for (auto t : {NexmarkOptions::Table::kPerson, NexmarkOptions::Table::kAuction, NexmarkOptions::Table::kBid}) {
    if (ToString(t) == name) return t;
  }
  return Status::Invalid("unknown nexmark table '", name, "' (expected person, auction or bid)");
}

}  // namespace sabot
