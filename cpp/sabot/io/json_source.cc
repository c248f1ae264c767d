// JsonSource: JSON lines files (one split per file) read with Arrow's streaming JSON reader.
#include "sabot/io/json_source.h"

#include <fstream>
#include <regex>

#include <arrow/buffer.h>
#include <arrow/io/file.h>
#include <arrow/json/api.h>
#include <arrow/json/parser.h>
#include <arrow/type.h>

#include "sabot/io/file_paths.h"
#include "sabot/io/source_batch_reader.h"
#include "sabot/io/source_file_split.h"
#include "sabot/io/source_schema.h"

namespace sabot {
namespace {

constexpr size_t kMaxShownText = 120;

arrow::json::ReadOptions MakeReadOptions() {
  auto o = arrow::json::ReadOptions::Defaults();
  // Parallelism comes from splits; see CsvSource.
  o.use_threads = false;
  return o;
}

// Arrow reports JSON errors per block ("in row 3" of some block), not per file. After a
// failure, re-parse line by line with the same options to find the first bad line; only
// the error path pays for this.
Status LocateBadLine(const Status& st, const std::string& path,
                     const arrow::json::ParseOptions& parse) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::unique_ptr<arrow::json::BlockParser> parser;
    if (!arrow::json::BlockParser::Make(parse, &parser).ok()) break;
    auto buffer = arrow::Buffer::FromString(line + "\n");
    Status line_st = parser->Parse(buffer);
    if (!line_st.ok()) {
      // Arrow's "in row 0" counts within the one-line block; the line number replaces it.
      static const std::regex kRow(R"( in row -?\d+)");
      const std::string message = std::regex_replace(line_st.message(), kRow, "");
      std::string text = line.size() > kMaxShownText ? line.substr(0, kMaxShownText) + "..."
                                                     : line;
      return line_st.WithMessage(path, ": line ", n, ": ", message, ": ", text);
    }
  }
  return WithContext(st, path);
}

Result<std::shared_ptr<arrow::json::StreamingReader>> OpenReader(
    const std::string& path, const arrow::json::ParseOptions& parse) {
  auto file = arrow::io::ReadableFile::Open(path);
  if (!file.ok()) return WithContext(file.status(), path);
  auto reader = arrow::json::StreamingReader::Make(*file, MakeReadOptions(), parse);
  if (!reader.ok()) return LocateBadLine(reader.status(), path, parse);
  return reader;
}

}  // namespace

Result<std::shared_ptr<JsonSource>> JsonSource::Make(const SourceSpec& spec) {
  auto source = std::shared_ptr<JsonSource>(new JsonSource());
  source->spec_ = spec;
  ARROW_ASSIGN_OR_RAISE(source->paths_, ResolveFilePaths(spec.path));
  if (spec.schema) {
    source->file_schema_ = spec.schema;
    source->explicit_schema_ = true;
  } else {
    const std::string& first = source->paths_.front();
    if (IsEmptyFile(first)) {
      return Status::Invalid(first, ": cannot infer a schema from an empty file; ",
                             "give the schema explicitly");
    }
    ARROW_ASSIGN_OR_RAISE(auto reader,
                          OpenReader(first, arrow::json::ParseOptions::Defaults()));
    source->file_schema_ = reader->schema();
  }
  ARROW_ASSIGN_OR_RAISE(source->columns_,
                        ResolveColumns(*source->file_schema_, spec.columns, spec.path));
  source->schema_ = SelectFields(*source->file_schema_, source->columns_);
  return source;
}

std::string JsonSource::ToString() const { return "JsonSource(path=" + spec_.path + ")"; }

Result<std::vector<std::shared_ptr<SourceSplit>>> JsonSource::Splits() {
  std::vector<std::shared_ptr<SourceSplit>> splits;
  for (const auto& p : paths_) splits.push_back(std::make_shared<FileSplit>(p));
  return splits;
}

Result<std::unique_ptr<SplitReader>> JsonSource::Open(const SourceSplit& split) {
  const auto* file_split = dynamic_cast<const FileSplit*>(&split);
  SABOT_CHECK(file_split != nullptr);
  const std::string& path = file_split->path();
  if (IsEmptyFile(path)) {
    return std::make_unique<BatchReaderSplit>(nullptr, schema_, columns_, path);
  }
  auto parse = arrow::json::ParseOptions::Defaults();
  parse.explicit_schema = file_schema_;
  // An explicit schema is also a projection: fields outside it are dropped. An inferred
  // one came from the first file, and a later file with more fields is a different
  // schema: say so instead of dropping data.
  parse.unexpected_field_behavior = explicit_schema_
                                        ? arrow::json::UnexpectedFieldBehavior::Ignore
                                        : arrow::json::UnexpectedFieldBehavior::Error;
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenReader(path, parse));
  auto on_error = [path, parse](const Status& st) { return LocateBadLine(st, path, parse); };
  return std::make_unique<BatchReaderSplit>(std::move(reader), schema_, columns_, path,
                                            on_error);
}

}  // namespace sabot
