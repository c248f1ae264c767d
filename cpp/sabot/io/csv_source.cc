// CsvSource: CSV files (one split per file) read with Arrow's streaming CSV reader.
#include "sabot/io/csv_source.h"

#include <fstream>
#include <optional>
#include <regex>

#include <arrow/csv/api.h>
#include <arrow/io/file.h>
#include <arrow/type.h>

#include "sabot/common/type_names.h"
#include "sabot/io/file_paths.h"
#include "sabot/io/source_batch_reader.h"
#include "sabot/io/source_file_split.h"
#include "sabot/io/source_schema.h"

namespace sabot {
namespace {

// The invalid_row_handler runs inside Arrow and can only say "error"; it parks the row
// here so the Status we return can name the line and show the text.
struct BadRow {
  std::optional<std::string> message;
  int64_t number = -1;
  std::string text;
  int32_t expected = 0;
  int32_t actual = 0;
};

// Splits one header line on `delimiter`, honouring double quotes ("" inside quotes).
std::vector<std::string> SplitHeader(const std::string& line, char delimiter) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// The column names in the header line of `path` (empty for an empty file).
Result<std::vector<std::string>> ReadHeaderNames(const std::string& path, char delimiter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("file not found: ", path);
  std::string line;
  // Arrow skips empty lines before the header too.
  for (bool first = true; std::getline(in, line); first = false) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Arrow skips a UTF-8 byte order mark; so must we, or the first name never matches.
    if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty()) return SplitHeader(line, delimiter);
  }
  return std::vector<std::string>{};
}

// 1-based line of the first line equal to `text`; used only when Arrow could not
// tell the row number.
int64_t FindLine(const std::string& path, std::string_view text) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == text) return n;
  }
  return -1;
}

// Puts the file, line and column names into Arrow's CSV errors.
Status MapCsvError(const Status& st, const std::string& path, const BadRow& bad,
                   const arrow::Schema& file_schema, const std::string& schema_from) {
  if (bad.message) {
    int64_t line = bad.number >= 0 ? bad.number : FindLine(path, bad.text);
    std::string where = line >= 0 ? "line " + std::to_string(line) : "unknown line";
    return Status::Invalid(path, ": ", where, ": expected ", bad.expected,
                           " columns, found ", bad.actual, ": ", bad.text);
  }
  // "In CSV column #1: Row #3: CSV conversion error to int64: invalid value 'abc'"
  static const std::regex kColumn(R"(CSV column #(\d+))");
  std::smatch m;
  const std::string msg = st.message();
  if (std::regex_search(msg, m, kColumn)) {
    const int index = std::stoi(m[1].str());
    if (index >= 0 && index < file_schema.num_fields()) {
      const auto& field = file_schema.field(index);
      return st.WithMessage(path, ": column '", field->name(), "' (expected ",
                            FormatDataType(*field->type()), " as in ", schema_from,
                            "): ", msg);
    }
  }
  return WithContext(st, path);
}

struct CsvReaderOptions {
  arrow::csv::ReadOptions read = arrow::csv::ReadOptions::Defaults();
  arrow::csv::ParseOptions parse = arrow::csv::ParseOptions::Defaults();
  arrow::csv::ConvertOptions convert = arrow::csv::ConvertOptions::Defaults();
};

// Options for reading one file; `bad` receives a malformed row.
CsvReaderOptions MakeOptions(const CsvOptions& csv, std::shared_ptr<BadRow> bad) {
  CsvReaderOptions o;
  // The executor parallelises across splits; a reader using the global pool too would
  // oversubscribe cores and make row order depend on timing.
  o.read.use_threads = false;
  o.read.autogenerate_column_names = !csv.header;
  o.parse.delimiter = csv.delimiter;
  // An empty unquoted field is null for every type, strings included (as in DuckDB);
  // a quoted "" stays an empty string, so CSV written by Sabot round-trips.
  o.convert.strings_can_be_null = true;
  o.convert.quoted_strings_can_be_null = false;
  o.parse.invalid_row_handler = [bad](const arrow::csv::InvalidRow& row) {
    if (!bad->message) {
      bad->message = "invalid row";
      bad->number = row.number;
      bad->text = std::string(row.text);
      bad->expected = row.expected_columns;
      bad->actual = row.actual_columns;
    }
    return arrow::csv::InvalidRowResult::Error;
  };
  return o;
}

Result<std::shared_ptr<arrow::csv::StreamingReader>> OpenReader(const std::string& path,
                                                                const CsvReaderOptions& o) {
  ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(path));
  return arrow::csv::StreamingReader::Make(arrow::io::default_io_context(), file, o.read,
                                           o.parse, o.convert);
}

}  // namespace

Result<std::shared_ptr<CsvSource>> CsvSource::Make(const SourceSpec& spec) {
  auto source = std::shared_ptr<CsvSource>(new CsvSource());
  source->spec_ = spec;
  ARROW_ASSIGN_OR_RAISE(source->paths_, ResolveFilePaths(spec.path));
  const std::string& first = source->paths_.front();
  if (spec.schema) {
    source->file_schema_ = spec.schema;
    source->schema_from_ = "the explicit schema";
  } else {
    // Infer from the first file's first block, all columns (projection comes after).
    auto bad = std::make_shared<BadRow>();
    CsvReaderOptions o = MakeOptions(spec.csv, bad);
    auto reader = OpenReader(first, o);
    if (!reader.ok()) {
      return MapCsvError(reader.status(), first, *bad, arrow::Schema({}), first);
    }
    source->file_schema_ = (*reader)->schema();
    source->schema_from_ = first;
  }
  ARROW_ASSIGN_OR_RAISE(auto indices,
                        ResolveColumns(*source->file_schema_, spec.columns, spec.path));
  source->schema_ = SelectFields(*source->file_schema_, indices);
  return source;
}

std::string CsvSource::ToString() const { return "CsvSource(path=" + spec_.path + ")"; }

Result<std::vector<std::shared_ptr<SourceSplit>>> CsvSource::Splits() {
  std::vector<std::shared_ptr<SourceSplit>> splits;
  for (const auto& p : paths_) splits.push_back(std::make_shared<FileSplit>(p));
  return splits;
}

Result<std::unique_ptr<SplitReader>> CsvSource::Open(const SourceSplit& split) {
  const auto* file_split = dynamic_cast<const FileSplit*>(&split);
  SABOT_CHECK(file_split != nullptr);
  const std::string& path = file_split->path();
  if (IsEmptyFile(path)) {
    return std::make_unique<BatchReaderSplit>(nullptr, schema_, std::vector<int>{}, path);
  }

  auto bad = std::make_shared<BadRow>();
  CsvReaderOptions o = MakeOptions(spec_.csv, bad);
  const auto expected_names = FieldNames(*file_schema_);
  if (spec_.csv.header) {
    ARROW_ASSIGN_OR_RAISE(auto found, ReadHeaderNames(path, spec_.csv.delimiter));
    if (found != expected_names) {
      return Status::Invalid(path, ": columns differ from ", schema_from_, ": expected [",
                             JoinNames(expected_names), "], found [", JoinNames(found), "]");
    }
  } else {
    o.read.autogenerate_column_names = false;
    o.read.column_names = expected_names;
  }
  for (const auto& field : file_schema_->fields()) {
    o.convert.column_types[field->name()] = field->type();
  }
  o.convert.include_columns = spec_.columns;

  auto on_error = [path, bad, fs = file_schema_, from = schema_from_](const Status& st) {
    return MapCsvError(st, path, *bad, *fs, from);
  };
  auto reader = OpenReader(path, o);
  if (!reader.ok()) return on_error(reader.status());
  return std::make_unique<BatchReaderSplit>(*reader, schema_, std::vector<int>{}, path,
                                            on_error);
}

}  // namespace sabot
