// Source interface: where batches enter a pipeline, split into morsels.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/exec/message.h"

namespace sabot {

//! An independent slice of a source (a file, a Parquet row group, a generator range).
//! Splits are the morsels a parallel executor hands to threads.
class SourceSplit {
 public:
  virtual ~SourceSplit() = default;
  virtual std::string ToString() const = 0;
};

using SourceSplits = std::vector<std::shared_ptr<SourceSplit>>;

//! The answer of SplitReader::Next.
struct SourcePoll {
  enum class State : uint8_t {
    kMessage,    //!< `message` holds a batch or a watermark
    kPending,    //!< nothing yet; ask again at `ready_at` (the thread may do other work)
    kExhausted,  //!< this split has no more data
  };
  State state = State::kExhausted;
  std::optional<Message> message;
  std::chrono::steady_clock::time_point ready_at{};

  static SourcePoll Of(Message m) { return {State::kMessage, std::move(m), {}}; }
  static SourcePoll Pending(std::chrono::steady_clock::time_point at) {
    return {State::kPending, std::nullopt, at};
  }
  static SourcePoll Exhausted() { return {}; }
};

//! Reads one split. Not thread-safe: one thread reads a split at a time.
class SplitReader {
 public:
  virtual ~SplitReader() = default;
  virtual Result<SourcePoll> Next() = 0;
};

//! A source of batches. The schema is known once the source is constructed (inferred
//! from the data or given explicitly). Every batch a reader yields has exactly
//! this schema.
class Source {
 public:
  virtual ~Source() = default;

  //! One line for explain(), e.g. "CsvSource(path=data/*.csv)".
  virtual std::string ToString() const = 0;
  virtual const std::shared_ptr<arrow::Schema>& schema() const = 0;
  //! False for a source that never ends (an unbounded generator, Kafka).
  virtual bool bounded() const { return true; }

  //! The splits, in source order (reading them in this order gives source order).
  virtual Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() = 0;
  virtual Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) = 0;

  //! An unbounded source that can be read as `count` independent endless streams read
  //! in parallel (Kafka's partitions; the generator's interleaved batches) returns them;
  //! together they hold what the source holds. The default, Splits(), suits bounded
  //! sources and sources that cannot be divided.
  virtual Result<std::vector<std::shared_ptr<SourceSplit>>> Partitions(int count) {
    (void)count;
    return Splits();
  }

  //! The columns of schema() this source reads as another type (the field's) for less
  //! than reading them and converting after: what SourceSpec::read_as should ask of it
  //! (the optimizer does, see plan/optimizer/cast_at_source.h). None by default.
  virtual std::vector<std::shared_ptr<arrow::Field>> NativeReadTypes() const { return {}; }
};

}  // namespace sabot
