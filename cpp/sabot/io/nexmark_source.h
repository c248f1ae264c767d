// NexmarkSource: the Nexmark benchmark's Person, Auction and Bid events (NexmarkOptions).
#pragma once

#include <memory>
#include <string>

#include "sabot/exec/source.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! A price in cents from a uniform `unit` in [0, 1): llround(10^(6 unit) * 100), spread
//! over six orders of magnitude as in the benchmark; equal to that formula with std::pow
//! for every input.
int64_t NexmarkPrice(double unit);

//! NexmarkPrice over a column in place: prices[i] holds the bits of a unit (a double) on
//! entry and its price on return. One loop of independent rows, so the prices' long
//! chains of dependent multiplications overlap instead of stalling the generator's loop.
void NexmarkPrices(int64_t* prices, int64_t count);

//! Splits are ranges of ~1M event numbers (every event is a pure function of its number
//! and the seed), so a bounded run reads them in parallel; an unbounded one is one split.
class NexmarkSource : public Source {
 public:
  static constexpr int64_t kSplitEvents = 1 << 20;

  static Result<std::shared_ptr<NexmarkSource>> Make(const SourceSpec& spec);

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  bool bounded() const override { return options_.events >= 0; }
  Result<SourceSplits> Splits() override;
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;

  //! person: id, name, email_address, credit_card, city, state, date_time, extra
  //! auction: id, item_name, description, initial_bid, reserve, date_time, expires, seller,
  //!          category, extra
  //! bid: auction, bidder, price, channel, url, date_time, extra
  //! (ids and money int64, times timestamp[us], the rest strings; extra is empty.)
  static std::shared_ptr<arrow::Schema> TableSchema(NexmarkOptions::Table table);

 private:
  NexmarkSource() = default;
  NexmarkOptions options_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace sabot
