// NexmarkSource: proportions, ids, event time and watermarks, splits that concatenate
// to the single-range output, and option errors.
#include <cmath>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/io/nexmark_source.h"
#include "sabot/io/stateless_random.h"

namespace sabot {
namespace {

struct Read {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::vector<EventTime> watermarks;
};

Read ReadAll(NexmarkSource& source) {
  Read out;
  auto splits = source.Splits();
  EXPECT_TRUE(splits.ok());
  for (const auto& split : *splits) {
    auto reader = source.Open(*split);
    EXPECT_TRUE(reader.ok());
    while (true) {
      auto poll = (*reader)->Next();
      EXPECT_TRUE(poll.ok()) << poll.status().ToString();
      if (!poll.ok() || poll->state == SourcePoll::State::kExhausted) break;
      if (poll->message->is_batch()) out.batches.push_back(poll->message->batch());
      if (poll->message->kind() == MessageKind::kWatermark) out.watermarks.push_back(poll->message->watermark());
    }
  }
  return out;
}

std::shared_ptr<NexmarkSource> Make(NexmarkOptions::Table table, int64_t events, int64_t batch = 10'000) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kNexmark;
  spec.nexmark.table = table;
  spec.nexmark.events = events;
  spec.nexmark.batch_size = batch;
  auto source = NexmarkSource::Make(spec);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  return *source;
}

int64_t Rows(const Read& r) {
  int64_t n = 0;
  for (const auto& b : r.batches) n += b->num_rows();
  return n;
}

TEST(NexmarkSource, ProportionsAcrossSplits) {
  const int64_t events = 3 * NexmarkSource::kSplitEvents + 12'345;  // 4 splits
  auto bids = Make(NexmarkOptions::Table::kBid, events);
  auto splits = bids->Splits();
  ASSERT_TRUE(splits.ok());
  EXPECT_EQ(splits->size(), 4u);
  int64_t expected_bids = 0;
  for (int64_t n = 0; n < events; ++n) expected_bids += (n % 50) >= 4;
  EXPECT_EQ(Rows(ReadAll(*bids)), expected_bids);
  EXPECT_EQ(Rows(ReadAll(*Make(NexmarkOptions::Table::kPerson, 500))), 10);
  EXPECT_EQ(Rows(ReadAll(*Make(NexmarkOptions::Table::kAuction, 500))), 30);
}

TEST(NexmarkSource, EventTimeIsMonotonicAndWatermarksFollowIt) {
  auto read = ReadAll(*Make(NexmarkOptions::Table::kBid, 100'000, 7'000));
  int64_t last = INT64_MIN;
  size_t batch = 0;
  for (const auto& b : read.batches) {
    const auto& ts = static_cast<const arrow::TimestampArray&>(*b->GetColumnByName("date_time"));
    for (int64_t i = 0; i < ts.length(); ++i) {
      EXPECT_GT(ts.Value(i), last);
      last = ts.Value(i);
    }
    ASSERT_LT(batch, read.watermarks.size());
    EXPECT_EQ(read.watermarks[batch++], last);  // the watermark after a batch is its last time
  }
}

TEST(NexmarkSource, AuctionIdsAreDenseAndBidsReferToExistingOnes) {
  auto auctions = ReadAll(*Make(NexmarkOptions::Table::kAuction, 50'000));
  int64_t expect = 1000;
  for (const auto& b : auctions.batches) {
    const auto& id = static_cast<const arrow::Int64Array&>(*b->GetColumnByName("id"));
    for (int64_t i = 0; i < id.length(); ++i) EXPECT_EQ(id.Value(i), expect++);
  }
  auto bids = ReadAll(*Make(NexmarkOptions::Table::kBid, 50'000));
  for (const auto& b : bids.batches) {
    const auto& auction = static_cast<const arrow::Int64Array&>(*b->GetColumnByName("auction"));
    for (int64_t i = 0; i < auction.length(); ++i) {
      EXPECT_GE(auction.Value(i), 1000);
      EXPECT_LT(auction.Value(i), expect);
    }
  }
}

// The fast price path rounds as llround(pow(...)) does, also right next to each half cent.
TEST(NexmarkSource, PriceEqualsThePowFormula) {
  auto reference = [](double unit) { return std::llround(std::pow(10.0, unit * 6.0) * 100.0); };
  for (uint64_t i = 0; i < 2'000'000; ++i) {
    const double unit = Unit(Hash(7, i, 3));
    ASSERT_EQ(NexmarkPrice(unit), reference(unit)) << "unit " << unit;
  }
  for (double cents = 100.5; cents < 1e8; cents = cents * 1.37 + 0.5) {
    const double half = std::floor(cents) + 0.5;
    double unit = std::log10(half / 100.0) / 6.0;
    for (int step = 0; step < 64; ++step) unit = std::nextafter(unit, 0.0);
    for (int step = 0; step < 128 && unit < 1.0; ++step, unit = std::nextafter(unit, 1.0)) {
      ASSERT_EQ(NexmarkPrice(unit), reference(unit)) << "unit " << unit;
    }
  }
}

TEST(NexmarkSource, BadOptionsAreNamed) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kNexmark;
  spec.nexmark.batch_size = 0;
  auto bad = NexmarkSource::Make(spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("batch_size must be >= 1"), std::string::npos);
  EXPECT_FALSE(ParseNexmarkTable("bids").ok());
}

}  // namespace
}  // namespace sabot
