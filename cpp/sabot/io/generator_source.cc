// GeneratorSource: the deterministic synthetic source described by GeneratorOptions.
#include "sabot/io/generator_source.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/io/source_schema.h"
#include "sabot/io/stateless_random.h"

namespace sabot {
namespace {

constexpr std::string_view kCategories[8] = {"alpha", "bravo",  "charlie", "delta",
                                             "echo",  "foxtrot", "golf",   "hotel"};

// One independent hash stream per column.
enum Stream : uint64_t { kKey = 1, kValue = 2, kCategory = 3, kJitter = 4 };

template <typename T>
Result<std::shared_ptr<arrow::Buffer>> Allocate(int64_t n) {
  ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::AllocateBuffer(n * static_cast<int64_t>(sizeof(T))));
  return std::shared_ptr<arrow::Buffer>(std::move(buffer));
}

template <typename T>
T* Data(const std::shared_ptr<arrow::Buffer>& b) {
  return reinterpret_cast<T*>(b->mutable_data());
}

class GeneratorReader : public SplitReader {
 public:
  GeneratorReader(const GeneratorOptions& options, std::shared_ptr<arrow::Schema> schema,
                  std::vector<int> columns, int64_t begin, int64_t end, int64_t stride)
      : o_(options), schema_(std::move(schema)), columns_(std::move(columns)),
        next_(begin), end_(end), stride_(stride) {}

  Result<SourcePoll> Next() override {
    if (watermark_pending_) {
      watermark_pending_ = false;
      return SourcePoll::Of(Message::Watermark(max_ts_ - o_.max_out_of_orderness_us));
    }
    if (next_ >= end_) return SourcePoll::Exhausted();
    if (o_.rows_per_second > 0) {
      // The batch starting at row k of this split is due k / rate seconds after the
      // first poll; the caller waits, so a thread is never blocked here.
      const auto now = std::chrono::steady_clock::now();
      if (!started_) {
        started_ = true;
        start_ = now;
      }
      // A partition of `stride_` gets that share of the rate.
      const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(static_cast<double>(produced_) * stride_ /
                                                                  o_.rows_per_second));
      if (now < due) return SourcePoll::Pending(due);
    }
    const int64_t n = std::min(o_.batch_size, end_ - next_);
    ARROW_ASSIGN_OR_RAISE(auto batch, Generate(next_, n));
    produced_ += n;
    // The other partitions' batches lie in between.
    next_ += n + (stride_ - 1) * o_.batch_size;
    watermark_pending_ = true;
    return SourcePoll::Of(Message::Batch(std::move(batch)));
  }

 private:
  Result<std::shared_ptr<arrow::RecordBatch>> Generate(int64_t first, int64_t n) {
    ARROW_ASSIGN_OR_RAISE(auto ids, Allocate<int64_t>(n));
    ARROW_ASSIGN_OR_RAISE(auto keys, Allocate<int64_t>(n));
    ARROW_ASSIGN_OR_RAISE(auto values, Allocate<double>(n));
    ARROW_ASSIGN_OR_RAISE(auto ts, Allocate<int64_t>(n));
    int64_t* id = Data<int64_t>(ids);
    int64_t* key = Data<int64_t>(keys);
    double* value = Data<double>(values);
    int64_t* t = Data<int64_t>(ts);
    const uint64_t seed = o_.seed;
    const uint64_t num_keys = static_cast<uint64_t>(o_.num_keys);
    const uint64_t jitter_span = static_cast<uint64_t>(o_.max_out_of_orderness_us) + 1;
    int64_t max_ts = max_ts_;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t i = first + j;
      const uint64_t u = static_cast<uint64_t>(i);
      id[j] = i;
      key[j] = static_cast<int64_t>(Below(Hash(seed, u, kKey), num_keys));
      value[j] = static_cast<double>(Hash(seed, u, kValue) >> 11) * 0x1.0p-53;
      const int64_t jitter =
          jitter_span > 1 ? static_cast<int64_t>(Below(Hash(seed, u, kJitter), jitter_span)) : 0;
      t[j] = o_.start_time_us + i * o_.time_step_us - jitter;
      max_ts = std::max(max_ts, t[j]);
    }
    max_ts_ = max_ts;

    // Strings: offsets first, then one memcpy per row from 8 fixed words.
    ARROW_ASSIGN_OR_RAISE(auto offsets_buf, Allocate<int32_t>(n + 1));
    int32_t* offsets = Data<int32_t>(offsets_buf);
    std::vector<uint8_t> word(n);
    offsets[0] = 0;
    for (int64_t j = 0; j < n; ++j) {
      word[j] = static_cast<uint8_t>(Hash(seed, static_cast<uint64_t>(first + j), kCategory) & 7);
      offsets[j + 1] = offsets[j] + static_cast<int32_t>(kCategories[word[j]].size());
    }
    ARROW_ASSIGN_OR_RAISE(auto chars_buf, arrow::AllocateBuffer(offsets[n]));
    uint8_t* chars = chars_buf->mutable_data();
    for (int64_t j = 0; j < n; ++j) {
      std::memcpy(chars + offsets[j], kCategories[word[j]].data(), kCategories[word[j]].size());
    }

    arrow::ArrayVector all = {
        std::make_shared<arrow::Int64Array>(n, ids),
        std::make_shared<arrow::Int64Array>(n, keys),
        std::make_shared<arrow::DoubleArray>(n, values),
        std::make_shared<arrow::StringArray>(n, offsets_buf,
                                             std::shared_ptr<arrow::Buffer>(std::move(chars_buf))),
        std::make_shared<arrow::TimestampArray>(arrow::timestamp(arrow::TimeUnit::MICRO), n, ts),
    };
    arrow::ArrayVector out;
    out.reserve(columns_.size());
    for (int c : columns_) out.push_back(all[c]);
    return arrow::RecordBatch::Make(schema_, n, std::move(out));
  }

  const GeneratorOptions o_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<int> columns_;
  int64_t next_;
  const int64_t end_;
  const int64_t stride_;
  int64_t produced_ = 0;
  int64_t max_ts_ = std::numeric_limits<int64_t>::min();
  bool watermark_pending_ = false;
  bool started_ = false;
  std::chrono::steady_clock::time_point start_{};
};

}  // namespace

std::string GeneratorSplit::ToString() const {
  return "GeneratorSplit(rows " + std::to_string(begin_) + ".." +
         (end_ == kUnbounded ? std::string("inf") : std::to_string(end_)) +
         (stride_ > 1 ? ", every " + std::to_string(stride_) + "th batch" : std::string()) + ")";
}

std::shared_ptr<arrow::Schema> GeneratorSource::FullSchema() {
  return arrow::schema({arrow::field("id", arrow::int64(), false),
                        arrow::field("key", arrow::int64(), false),
                        arrow::field("value", arrow::float64(), false),
                        arrow::field("category", arrow::utf8(), false),
                        arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO), false)});
}

Result<std::shared_ptr<GeneratorSource>> GeneratorSource::Make(const SourceSpec& spec) {
  const GeneratorOptions& o = spec.generator;
  if (o.rows < -1) return Status::Invalid("generator: rows must be >= 0 or -1 (unbounded), got ", o.rows);
  if (o.batch_size <= 0) return Status::Invalid("generator: batch_size must be > 0, got ", o.batch_size);
  if (o.num_keys <= 0) return Status::Invalid("generator: num_keys must be > 0, got ", o.num_keys);
  if (o.rows_per_second < 0) {
    return Status::Invalid("generator: rows_per_second must be >= 0, got ", o.rows_per_second);
  }
  if (o.time_step_us < 0 || o.max_out_of_orderness_us < 0) {
    return Status::Invalid("generator: time_step_us and max_out_of_orderness_us must be >= 0");
  }
  auto source = std::shared_ptr<GeneratorSource>(new GeneratorSource());
  source->options_ = o;
  auto full = FullSchema();
  ARROW_ASSIGN_OR_RAISE(source->columns_, ResolveColumns(*full, spec.columns, "generator"));
  source->schema_ = SelectFields(*full, source->columns_);
  return source;
}

std::string GeneratorSource::ToString() const {
  return "GeneratorSource(rows=" + (bounded() ? std::to_string(options_.rows) : "unbounded") +
         ", seed=" + std::to_string(options_.seed) + ")";
}

Result<std::vector<std::shared_ptr<SourceSplit>>> GeneratorSource::Splits() {
  std::vector<std::shared_ptr<SourceSplit>> splits;
  // An endless source cannot be cut into finite ranges; a rate-limited one stays whole
  // so the rate applies to the source, not to each split read in parallel.
  if (!bounded() || options_.rows_per_second > 0) {
    const int64_t end = bounded() ? options_.rows : GeneratorSplit::kUnbounded;
    splits.push_back(std::make_shared<GeneratorSplit>(0, end));
    return splits;
  }
  // Whole batches per split, so the batch boundaries do not depend on the split size.
  const int64_t step = std::max<int64_t>(1, kSplitRows / options_.batch_size) * options_.batch_size;
  for (int64_t begin = 0; begin < options_.rows; begin += step) {
    splits.push_back(std::make_shared<GeneratorSplit>(begin, std::min(options_.rows, begin + step)));
  }
  return splits;
}

Result<std::unique_ptr<SplitReader>> GeneratorSource::Open(const SourceSplit& split) {
  const auto* range = dynamic_cast<const GeneratorSplit*>(&split);
  SABOT_CHECK(range != nullptr);
  SABOT_CHECK(range->begin() >= 0 && range->begin() <= range->end());
  SABOT_CHECK(range->stride() >= 1);
  return std::make_unique<GeneratorReader>(options_, schema_, columns_, range->begin(),
                                           range->end(), range->stride());
}

Result<std::vector<std::shared_ptr<SourceSplit>>> GeneratorSource::Partitions(int count) {
  if (count <= 1) return Splits();
  // Interleaved batches, not contiguous ranges: the partitions advance through event time
  // together, so the minimum watermark over them (what closes a window downstream) trails
  // none of them by much, and state holds few windows at a time.
  const int64_t end = bounded() ? options_.rows : GeneratorSplit::kUnbounded;
  const int64_t batches = bounded() ? (options_.rows + options_.batch_size - 1) / options_.batch_size : count;
  const int64_t partitions_count = std::max<int64_t>(1, std::min<int64_t>(count, batches));
  std::vector<std::shared_ptr<SourceSplit>> partitions;
  for (int64_t p = 0; p < partitions_count; ++p) {
    partitions.push_back(std::make_shared<GeneratorSplit>(p * options_.batch_size, end, partitions_count));
  }
  return partitions;
}

}  // namespace sabot
