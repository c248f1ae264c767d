// GeneratorSource: the deterministic synthetic source described by GeneratorOptions.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/source.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! Rows [begin, end) of the generator; end is kUnbounded for an endless split.
class GeneratorSplit : public SourceSplit {
 public:
  static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();

  //! Rows [begin, end), a batch at a time; with `stride` > 1 only every stride-th batch
  //! (one of `stride` interleaved partitions, see GeneratorSource::Partitions).
  GeneratorSplit(int64_t begin, int64_t end, int64_t stride = 1) : begin_(begin), end_(end), stride_(stride) {}
  int64_t begin() const { return begin_; }
  int64_t end() const { return end_; }
  int64_t stride() const { return stride_; }
  std::string ToString() const override;

 private:
  int64_t begin_;
  int64_t end_;
  int64_t stride_;
};

//! Every value is a stateless hash of (seed, row id), so any row range is generated
//! independently and identically on every machine: splits are ranges of ~1M rows.
class GeneratorSource : public Source {
 public:
  static constexpr int64_t kSplitRows = 1 << 20;

  static Result<std::shared_ptr<GeneratorSource>> Make(const SourceSpec& spec);

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  bool bounded() const override { return options_.rows >= 0; }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override;
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;
  //! Up to `count` partitions (one per batch at most), partition p holding batches p,
  //! p + count, ... and its share of a rate limit; bounded or not.
  Result<std::vector<std::shared_ptr<SourceSplit>>> Partitions(int count) override;

  //! The full schema: id, key, value, category, ts.
  static std::shared_ptr<arrow::Schema> FullSchema();

 private:
  GeneratorSource() = default;

  GeneratorOptions options_;
  std::shared_ptr<arrow::Schema> schema_;  // after projection
  std::vector<int> columns_;
};

}  // namespace sabot
