// WatermarkingSplit: gives a split of a bounded-out-of-orderness source its watermarks.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/source.h"

namespace sabot {

//! Passes the messages of `inner` on and follows each batch with the watermark
//! max(event time seen in this split) - max_out_of_orderness_us, as the generator does.
//! Each split keeps its own maximum: a split read later starts lower, which is safe
//! (watermarks only hold back) and operators keep the largest watermark they saw.
class WatermarkingSplit : public SplitReader {
 public:
  WatermarkingSplit(std::unique_ptr<SplitReader> inner, int time_column, std::string time_column_name,
                    int64_t max_out_of_orderness_us)
      : inner_(std::move(inner)),
        time_column_(time_column),
        name_(std::move(time_column_name)),
        bound_(max_out_of_orderness_us) {}

  Result<SourcePoll> Next() override;

 private:
  std::unique_ptr<SplitReader> inner_;
  int time_column_;
  std::string name_;
  int64_t bound_;
  int64_t max_ts_ = std::numeric_limits<int64_t>::min();
  bool watermark_pending_ = false;
  std::vector<int64_t> times_;
};

}  // namespace sabot
