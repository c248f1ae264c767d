// What a plan says about its sources and sinks: formats, paths and options. Plain data,
// serializable; the io layer turns a spec into a Source or Sink.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

enum class FileFormat : uint8_t { kCsv, kJsonLines, kIpcFile, kIpcStream, kParquet };

//! "csv", "jsonl", "ipc", "ipc_stream", "parquet".
std::string_view ToString(FileFormat format);
Result<FileFormat> ParseFileFormat(std::string_view name);

struct CsvOptions {
  char delimiter = ',';
  bool header = true;  //!< first line holds column names; else columns are f0, f1, ...
};

//! A deterministic synthetic source for tests and benchmarks. Row i has columns
//!   id int64 = i, key int64 in [0, num_keys), value float64 in [0, 1),
//!   category string (one of 8 words), ts timestamp[us] (event time).
//! ts = start_time_us + i * time_step_us, moved back by up to max_out_of_orderness_us
//! (deterministic jitter); after each batch the source emits the watermark
//! max(ts seen) - max_out_of_orderness_us. Same seed, same rows, on every machine.
struct GeneratorOptions {
  int64_t rows = 1'000'000;        //!< total rows; -1 means unbounded
  int64_t batch_size = 65'536;     //!< rows per batch
  double rows_per_second = 0;      //!< rate limit; 0 means as fast as possible
  uint64_t seed = 42;
  int64_t num_keys = 1'000;
  int64_t start_time_us = 1'700'000'000'000'000;  // 2023-11-14T22:13:20Z
  int64_t time_step_us = 1'000;
  int64_t max_out_of_orderness_us = 0;
};

//! The Nexmark benchmark's events (an online auction): Person, Auction and Bid events in
//! the proportion 1:3:46 of every 50, numbered 0, 1, 2, ... with event time
//! start_time_us + n * 1e6 / events_per_second (monotonic). Ids follow the benchmark's
//! model: 1000 active people and 100 auctions in flight; half the bids go to a hot
//! auction, a quarter come from hot bidders, a quarter of auctions from hot sellers. One
//! source yields one event kind (`table`), with the event numbers of that kind, so the
//! three tables of one (seed, events) are one consistent event stream. Deterministic for
//! a seed; after each batch the source emits the watermark of its last event time.
struct NexmarkOptions {
  enum class Table : uint8_t { kPerson, kAuction, kBid };
  Table table = Table::kBid;
  int64_t events = 10'000'000;  //!< events of all three kinds; -1 means unbounded
  int64_t batch_size = 65'536;  //!< rows per batch
  uint64_t seed = 0;
  int64_t events_per_second = 10'000;  //!< of event time (the benchmark's first event rate)
  int64_t start_time_us = 1'700'000'000'000'000;
};

//! "person", "auction", "bid".
std::string_view ToString(NexmarkOptions::Table table);
Result<NexmarkOptions::Table> ParseNexmarkTable(std::string_view name);

struct SourceSpec {
  enum class Kind : uint8_t { kFile, kGenerator, kMemory, kNexmark };
  Kind kind = Kind::kFile;

  // kFile
  FileFormat format = FileFormat::kCsv;
  std::string path;  //!< a file, a directory (all its files) or a glob ("data/*.csv")
  std::shared_ptr<arrow::Schema> schema;  //!< explicit schema; null means infer
  std::vector<std::string> columns;       //!< read only these (empty: all)
  //! Columns read as another type than the file's: the source yields the field's type
  //! where the plan would otherwise cast after reading (the optimizer sets these, see
  //! optimizer/cast_at_source.h). Parquet only: a decimal column as float64, the values
  //! sabot_decimal_to_float64 gives.
  std::vector<std::shared_ptr<arrow::Field>> read_as;
  CsvOptions csv;

  // kGenerator
  GeneratorOptions generator;

  // kNexmark
  NexmarkOptions nexmark;

  // kMemory (not serializable: lives only in the process that built the plan)
  std::shared_ptr<arrow::Table> table;
  std::string table_name = "table";
  //! kMemory: when set, a timestamp column of the table; after each batch the source
  //! emits the watermark max(its event time so far) - max_out_of_orderness_us.
  std::string event_time_column;
  int64_t max_out_of_orderness_us = 0;

  //! Any kind: after this long (processing time) without a batch or watermark the source
  //! declares itself idle (Message::Idle), so unions and joins stop waiting for its
  //! watermark; 0 never does.
  int64_t idle_timeout_us = 0;
};

struct SinkSpec {
  enum class Kind : uint8_t {
    kFile,     //!< write `format` to `path` (temporary name, renamed on success)
    kPrint,    //!< pretty table to stdout
    kCollect,  //!< keep the batches in memory (API use)
    kCount,    //!< count rows and drop them (benchmarks)
  };
  Kind kind = Kind::kPrint;
  FileFormat format = FileFormat::kCsv;
  std::string path;
  //! kFile: when set, `path` is a directory with one file per distinct value of these
  //! columns (Hive style: <path>/<col>=<value>/part-0.<ext>).
  std::vector<std::string> partition_by;
  int64_t max_print_rows = 100;  //!< kPrint: rows shown; the total is always reported
};

}  // namespace sabot
