// NexmarkSource: events generated from their numbers (see NexmarkOptions).
#include "sabot/io/nexmark_source.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/io/stateless_random.h"

namespace sabot {
namespace {

// The benchmark's model (its published defaults).
constexpr int64_t kPersonProportion = 1;
constexpr int64_t kAuctionProportion = 3;
constexpr int64_t kTotalProportion = 50;  // the other 46 of every 50 events are bids
constexpr int64_t kFirstPersonId = 1000;
constexpr int64_t kFirstAuctionId = 1000;
constexpr int64_t kFirstCategoryId = 10;
constexpr int64_t kNumCategories = 5;
constexpr int64_t kActivePeople = 1000;
constexpr int64_t kInFlightAuctions = 100;
constexpr int64_t kHotAuctionRatio = 2;
constexpr int64_t kHotSellerRatio = 4;
constexpr int64_t kHotBidderRatio = 4;

constexpr std::array<std::string_view, 4> kChannels = {"Google", "Facebook", "Baidu", "Apple"};
constexpr std::array<std::string_view, 4> kUrls = {
    "https://www.nexmark.com/google/item.htm?query=1", "https://www.nexmark.com/facebook/item.htm?query=1",
    "https://www.nexmark.com/baidu/item.htm?query=1", "https://www.nexmark.com/apple/item.htm?query=1"};
constexpr std::array<std::string_view, 6> kFirstNames = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky"};
constexpr std::array<std::string_view, 6> kLastNames = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton"};
constexpr std::array<std::string_view, 6> kCities = {"Phoenix", "Los Angeles", "San Francisco",
                                                     "Boise",   "Portland",    "Bend"};
constexpr std::array<std::string_view, 6> kStates = {"AZ", "CA", "ID", "OR", "WA", "WY"};

enum Stream : uint64_t { kHot = 1, kPick = 2, kPrice = 3, kReserve = 4, kCategory = 5, kText = 6, kExpiry = 7 };

NexmarkOptions::Table KindOf(int64_t event) {
  const int64_t offset = event % kTotalProportion;
  if (offset < kPersonProportion) return NexmarkOptions::Table::kPerson;
  if (offset < kPersonProportion + kAuctionProportion) return NexmarkOptions::Table::kAuction;
  return NexmarkOptions::Table::kBid;
}

// The 0-based id of the last person created at or before `event`.
int64_t LastPerson(int64_t event) {
  const int64_t epoch = event / kTotalProportion;
  const int64_t offset = std::min(event % kTotalProportion, kPersonProportion - 1);
  return epoch * kPersonProportion + offset;
}

// The 0-based id of the last auction created at or before `event` (-1 before the first).
int64_t LastAuction(int64_t event) {
  int64_t epoch = event / kTotalProportion;
  int64_t offset = event % kTotalProportion;
  if (offset < kPersonProportion) {
    --epoch;
    offset = kAuctionProportion - 1;
  } else if (offset >= kPersonProportion + kAuctionProportion) {
    offset = kAuctionProportion - 1;
  } else {
    offset -= kPersonProportion;
  }
  return epoch * kAuctionProportion + offset;
}

// Each stream's half of Hash(seed, event, stream), computed once per source: Hash mixes
// (seed, stream) before it mixes in the event, so per event only the second mix is left.
struct StreamKeys {
  explicit StreamKeys(uint64_t seed) {
    for (uint64_t stream = 0; stream < keys.size(); ++stream) keys[stream] = Mix(seed ^ (stream * 0xD1B54A32D192ED03ULL));
  }
  uint64_t Hash(int64_t n, uint64_t stream) const { return Mix(keys[stream] ^ static_cast<uint64_t>(n)); }
  std::array<uint64_t, 8> keys{};
};

class Event {
 public:
  Event(const StreamKeys& keys, int64_t n) : keys_(keys), n_(n) {}
  uint64_t Rand(uint64_t stream, uint64_t below) const { return Below(keys_.Hash(n_, stream), below); }
  // Prices spread over 6 orders of magnitude, in cents, as in the benchmark.
  int64_t Price(uint64_t stream) const { return NexmarkPrice(PriceUnit(stream)); }
  double PriceUnit(uint64_t stream) const { return Unit(keys_.Hash(n_, stream)); }
  // A person among the active ones at this event (0-based).
  int64_t SomePerson() const {
    const int64_t last = LastPerson(n_);
    const int64_t active = std::min(last + 1, kActivePeople);
    return last + 1 - active + static_cast<int64_t>(Rand(kPick, static_cast<uint64_t>(active)));
  }
  // An auction among those in flight at this event (0-based).
  int64_t SomeAuction() const {
    const int64_t last = std::max<int64_t>(LastAuction(n_), 0);
    const int64_t first = std::max<int64_t>(last - kInFlightAuctions + 1, 0);
    return first + static_cast<int64_t>(Rand(kPick, static_cast<uint64_t>(last - first + 1)));
  }

 private:
  const StreamKeys& keys_;
  int64_t n_;
};

class NexmarkReader : public SplitReader {
 public:
  NexmarkReader(const NexmarkOptions& options, std::shared_ptr<arrow::Schema> schema, int64_t begin, int64_t end)
      : o_(options), keys_(options.seed), schema_(std::move(schema)), next_(begin), end_(end) {}

  Result<SourcePoll> Next() override {
    if (watermark_pending_) {
      watermark_pending_ = false;
      return SourcePoll::Of(Message::Watermark(last_time_));
    }
    if (next_ >= end_) return SourcePoll::Exhausted();
    ARROW_ASSIGN_OR_RAISE(auto batch, Generate());
    watermark_pending_ = true;
    return SourcePoll::Of(Message::Batch(std::move(batch)));
  }

 private:
  int64_t TimeOf(int64_t event) const {
    return o_.start_time_us + event * 1'000'000 / std::max<int64_t>(1, o_.events_per_second);
  }

  // The rows of the next events of this table, up to batch_size of them.
  Result<std::shared_ptr<arrow::RecordBatch>> Generate() {
    if (o_.table == NexmarkOptions::Table::kBid) return GenerateBids();
    // Sized up front (rows from the table's share of the events left, string bytes from the
    // last batch), so the builders never grow: growing copied every column once or twice.
    const int64_t proportion = o_.table == NexmarkOptions::Table::kPerson    ? kPersonProportion
                               : o_.table == NexmarkOptions::Table::kAuction ? kAuctionProportion
                                                                             : kTotalProportion - kPersonProportion - kAuctionProportion;
    const int64_t expected = std::min<int64_t>(o_.batch_size, (end_ - next_) / kTotalProportion * proportion + proportion);
    Builders b(schema_);
    ARROW_RETURN_NOT_OK(b.Reserve(expected, string_bytes_per_row_));
    int64_t rows = 0;
    for (; next_ < end_ && rows < o_.batch_size; ++next_) {
      if (KindOf(next_) != o_.table) continue;
      ++rows;
      ARROW_RETURN_NOT_OK(Append(next_, &b));
      last_time_ = TimeOf(next_);
    }
    ARROW_ASSIGN_OR_RAISE(auto batch, b.Finish(schema_, rows));
    if (rows > 0) {
      string_bytes_per_row_.clear();
      for (const auto& column : batch->columns()) {
        const auto* strings = dynamic_cast<const arrow::StringArray*>(column.get());
        string_bytes_per_row_.push_back(strings == nullptr ? 0 : strings->total_values_length() / rows + 1);
      }
    }
    return batch;
  }

  // Bids (46 of every 50 events) column by column into buffers sized up front: the same
  // values Append gives, without a builder's checks per value.
  Result<std::shared_ptr<arrow::RecordBatch>> GenerateBids() {
    events_.clear();
    for (; next_ < end_ && static_cast<int64_t>(events_.size()) < o_.batch_size; ++next_) {
      if (KindOf(next_) == NexmarkOptions::Table::kBid) events_.push_back(next_);
    }
    const auto rows = static_cast<int64_t>(events_.size());
    if (rows > 0) last_time_ = TimeOf(events_.back());
    auto* pool = arrow::default_memory_pool();
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> auctions, arrow::AllocateBuffer(rows * 8, pool));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bidders, arrow::AllocateBuffer(rows * 8, pool));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> prices, arrow::AllocateBuffer(rows * 8, pool));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> times, arrow::AllocateBuffer(rows * 8, pool));
    auto* auction = auctions->mutable_data_as<int64_t>();
    auto* bidder = bidders->mutable_data_as<int64_t>();
    auto* price = prices->mutable_data_as<int64_t>();
    auto* time = times->mutable_data_as<int64_t>();
    channels_.resize(static_cast<size_t>(rows));
    int64_t channel_bytes = 0, url_bytes = 0;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t n = events_[static_cast<size_t>(i)];
      const Event e(keys_, n);
      // Half the bids go to a hot auction, three in four come from hot bidders.
      const int64_t a = e.Rand(kHot, kHotAuctionRatio) > 0
                            ? (std::max<int64_t>(LastAuction(n), 0) / kHotAuctionRatio) * kHotAuctionRatio
                            : e.SomeAuction();
      const int64_t b = e.Rand(kReserve, kHotBidderRatio) > 0 ? (LastPerson(n) / kHotBidderRatio) * kHotBidderRatio + 1
                                                              : e.SomePerson();
      const auto channel = static_cast<uint8_t>(e.Rand(kCategory, kChannels.size()));
      auction[i] = a + kFirstAuctionId;
      bidder[i] = b + kFirstPersonId;
      price[i] = std::bit_cast<int64_t>(e.PriceUnit(kPrice));  // NexmarkPrices below makes it a price
      time[i] = TimeOf(n);
      channels_[static_cast<size_t>(i)] = channel;
      channel_bytes += static_cast<int64_t>(kChannels[channel].size());
      url_bytes += static_cast<int64_t>(kUrls[channel].size());
    }
    NexmarkPrices(price, rows);
    ARROW_ASSIGN_OR_RAISE(auto channel_column, PickedStrings(kChannels, channel_bytes));
    ARROW_ASSIGN_OR_RAISE(auto url_column, PickedStrings(kUrls, url_bytes));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> no_offsets, arrow::AllocateBuffer((rows + 1) * 4, pool));
    std::memset(no_offsets->mutable_data(), 0, static_cast<size_t>((rows + 1) * 4));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> no_bytes, arrow::AllocateBuffer(0, pool));
    auto fixed = [&](int column, std::shared_ptr<arrow::Buffer> values) {
      return arrow::MakeArray(arrow::ArrayData::Make(schema_->field(column)->type(), rows, {nullptr, std::move(values)}, 0));
    };
    return arrow::RecordBatch::Make(
        schema_, rows,
        {fixed(0, std::move(auctions)), fixed(1, std::move(bidders)), fixed(2, std::move(prices)),
         std::move(channel_column), std::move(url_column), fixed(5, std::move(times)),
         arrow::MakeArray(arrow::ArrayData::Make(arrow::utf8(), rows, {nullptr, std::move(no_offsets), std::move(no_bytes)}, 0))});
  }

  // A string column of choices[channels_[i]] per row, `bytes` long in all.
  template <size_t N>
  Result<std::shared_ptr<arrow::Array>> PickedStrings(const std::array<std::string_view, N>& choices,
                                                       int64_t bytes) const {
    const auto rows = static_cast<int64_t>(channels_.size());
    auto* pool = arrow::default_memory_pool();
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> offsets, arrow::AllocateBuffer((rows + 1) * 4, pool));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> data, arrow::AllocateBuffer(bytes, pool));
    auto* offset = offsets->mutable_data_as<int32_t>();
    auto* out = data->mutable_data();
    int32_t at = 0;
    offset[0] = 0;
    for (int64_t i = 0; i < rows; ++i) {
      const std::string_view s = choices[channels_[static_cast<size_t>(i)]];
      std::memcpy(out + at, s.data(), s.size());
      at += static_cast<int32_t>(s.size());
      offset[i + 1] = at;
    }
    return arrow::MakeArray(arrow::ArrayData::Make(arrow::utf8(), rows, {nullptr, std::move(offsets), std::move(data)}, 0));
  }

  struct Builders {
    explicit Builders(const std::shared_ptr<arrow::Schema>& schema) {
      for (const auto& f : schema->fields()) {
        std::unique_ptr<arrow::ArrayBuilder> builder;
        (void)arrow::MakeBuilder(arrow::default_memory_pool(), f->type(), &builder);
        all.push_back(std::move(builder));
      }
    }
    //! Room for `rows` rows, and for string columns bytes_per_row[i] bytes a row (when known).
    Status Reserve(int64_t rows, const std::vector<int64_t>& bytes_per_row) {
      for (size_t i = 0; i < all.size(); ++i) {
        ARROW_RETURN_NOT_OK(all[i]->Reserve(rows));
        if (i < bytes_per_row.size() && bytes_per_row[i] > 0) {
          ARROW_RETURN_NOT_OK(static_cast<arrow::StringBuilder&>(*all[i]).ReserveData(rows * bytes_per_row[i]));
        }
      }
      return Status::OK();
    }
    arrow::Int64Builder& Int(int i) { return static_cast<arrow::Int64Builder&>(*all[static_cast<size_t>(i)]); }
    arrow::StringBuilder& Str(int i) { return static_cast<arrow::StringBuilder&>(*all[static_cast<size_t>(i)]); }
    arrow::TimestampBuilder& Time(int i) {
      return static_cast<arrow::TimestampBuilder&>(*all[static_cast<size_t>(i)]);
    }
    Result<std::shared_ptr<arrow::RecordBatch>> Finish(const std::shared_ptr<arrow::Schema>& schema, int64_t rows) {
      arrow::ArrayVector columns;
      for (auto& builder : all) {
        ARROW_ASSIGN_OR_RAISE(auto column, builder->Finish());
        columns.push_back(std::move(column));
      }
      return arrow::RecordBatch::Make(schema, rows, std::move(columns));
    }
    std::vector<std::unique_ptr<arrow::ArrayBuilder>> all;
  };

  Status Append(int64_t n, Builders* b) const {
    const Event e(keys_, n);
    const int64_t ts = TimeOf(n);
    switch (o_.table) {
      case NexmarkOptions::Table::kPerson: {
        const int64_t id = LastPerson(n) + kFirstPersonId;
        const auto first = kFirstNames[e.Rand(kText, kFirstNames.size())];
        const auto last = kLastNames[e.Rand(kPick, kLastNames.size())];
        std::string name = std::string(first) + " " + std::string(last);
        ARROW_RETURN_NOT_OK(b->Int(0).Append(id));
        ARROW_RETURN_NOT_OK(b->Str(1).Append(name));
        ARROW_RETURN_NOT_OK(b->Str(2).Append(std::string(first) + "." + std::string(last) + "@nexmark.com"));
        const uint64_t card = e.Rand(kPrice, 10'000'000'000'000'000ULL);
        ARROW_RETURN_NOT_OK(b->Str(3).Append(std::to_string(1'000'000'000'000'000ULL + card)));
        ARROW_RETURN_NOT_OK(b->Str(4).Append(kCities[e.Rand(kCategory, kCities.size())]));
        ARROW_RETURN_NOT_OK(b->Str(5).Append(kStates[e.Rand(kReserve, kStates.size())]));
        ARROW_RETURN_NOT_OK(b->Time(6).Append(ts));
        return b->Str(7).Append("");
      }
      case NexmarkOptions::Table::kAuction: {
        const int64_t id = LastAuction(n) + kFirstAuctionId;
        // Most auctions come from a few hot sellers.
        int64_t seller = e.Rand(kHot, kHotSellerRatio) > 0 ? (LastPerson(n) / kHotSellerRatio) * kHotSellerRatio
                                                           : e.SomePerson();
        const int64_t initial = e.Price(kPrice);
        ARROW_RETURN_NOT_OK(b->Int(0).Append(id));
        ARROW_RETURN_NOT_OK(b->Str(1).Append("item-" + std::to_string(id)));
        ARROW_RETURN_NOT_OK(b->Str(2).Append(""));
        ARROW_RETURN_NOT_OK(b->Int(3).Append(initial));
        ARROW_RETURN_NOT_OK(b->Int(4).Append(initial + e.Price(kReserve)));
        ARROW_RETURN_NOT_OK(b->Time(5).Append(ts));
        // Open for 10 to 30 seconds of event time.
        ARROW_RETURN_NOT_OK(b->Time(6).Append(ts + 10'000'000 + static_cast<int64_t>(e.Rand(kExpiry, 20'000'000))));
        ARROW_RETURN_NOT_OK(b->Int(7).Append(seller + kFirstPersonId));
        ARROW_RETURN_NOT_OK(b->Int(8).Append(kFirstCategoryId + static_cast<int64_t>(e.Rand(kCategory, kNumCategories))));
        return b->Str(9).Append("");
      }
      case NexmarkOptions::Table::kBid:
        break;  // GenerateBids
    }
    return Status::OK();
  }

  NexmarkOptions o_;
  StreamKeys keys_;
  std::shared_ptr<arrow::Schema> schema_;
  int64_t next_, end_;
  int64_t last_time_ = std::numeric_limits<int64_t>::min();
  bool watermark_pending_ = false;
  std::vector<int64_t> string_bytes_per_row_;  //!< per column, from the last batch (0: not a string)
  std::vector<int64_t> events_;    // scratch of GenerateBids: the batch's event numbers
  std::vector<uint8_t> channels_;  // and each bid's channel
};

class EventRange : public SourceSplit {
 public:
  EventRange(int64_t begin, int64_t end) : begin(begin), end(end) {}
  std::string ToString() const override {
    return "events [" + std::to_string(begin) + ", " + std::to_string(end) + ")";
  }
  const int64_t begin, end;
};

}  // namespace

namespace {

// 10^(j / 1024) for j in [0, 1024) and 10^i for i in [0, 6]: 10^x is one entry of each
// times a short series for what is left (under 1/1024, so its sixth term is below 1e-18).
struct PowersOfTen {
  static constexpr int kSteps = 1024;
  PowersOfTen() {
    for (int j = 0; j < kSteps; ++j) fraction[j] = std::pow(10.0, static_cast<double>(j) / kSteps);
    for (int i = 0; i < 7; ++i) whole[i] = std::pow(10.0, i);
  }
  //! 10^x for x in [0, 6], within a few ulps.
  double Of(double x) const {
    const double scaled = x * kSteps;
    const auto step = static_cast<int>(scaled);  // x >= 0: truncation is floor
    const double rest = (scaled - step) * (2.302585092994045684 / kSteps);  // exact subtraction
    const double series = 1.0 + rest * (1.0 + rest * (0.5 + rest * (1.0 / 6 + rest * (1.0 / 24 + rest * (1.0 / 120)))));
    return whole[step / kSteps] * fraction[step % kSteps] * series;
  }
  double fraction[kSteps];
  double whole[7];
};

const PowersOfTen& Powers() {
  static const PowersOfTen powers;
  return powers;
}

// The table lands within 1e-14 (relative) of 10^(6 unit) * 100, as pow does, so the two
// round to the same integer unless that value lies within 1e-12 (relative) of a half;
// there, pow decides, so prices never change.
inline int64_t PriceOf(const PowersOfTen& powers, double unit) {
  const double exponent = unit * 6.0;
  const double fast = powers.Of(exponent) * 100.0;
  const auto whole = static_cast<int64_t>(fast);  // fast >= 100: truncation is floor
  const double from_half = fast - (static_cast<double>(whole) + 0.5);
  if (std::abs(from_half) > fast * 1e-12) [[likely]] return from_half > 0 ? whole + 1 : whole;
  return std::llround(std::pow(10.0, exponent) * 100.0);
}

}  // namespace

int64_t NexmarkPrice(double unit) { return PriceOf(Powers(), unit); }

void NexmarkPrices(int64_t* prices, int64_t count) {
  const PowersOfTen& powers = Powers();
  for (int64_t i = 0; i < count; ++i) prices[i] = PriceOf(powers, std::bit_cast<double>(prices[i]));
}

std::shared_ptr<arrow::Schema> NexmarkSource::TableSchema(NexmarkOptions::Table table) {
  const auto ts = arrow::timestamp(arrow::TimeUnit::MICRO);
  const auto i64 = arrow::int64();
  const auto str = arrow::utf8();
  using arrow::field;
  switch (table) {
    case NexmarkOptions::Table::kPerson:
      return arrow::schema({field("id", i64, false), field("name", str, false), field("email_address", str, false),
                            field("credit_card", str, false), field("city", str, false), field("state", str, false),
                            field("date_time", ts, false), field("extra", str, false)});
    case NexmarkOptions::Table::kAuction:
      return arrow::schema({field("id", i64, false), field("item_name", str, false), field("description", str, false),
                            field("initial_bid", i64, false), field("reserve", i64, false),
                            field("date_time", ts, false), field("expires", ts, false), field("seller", i64, false),
                            field("category", i64, false), field("extra", str, false)});
    case NexmarkOptions::Table::kBid:
      return arrow::schema({field("auction", i64, false), field("bidder", i64, false), field("price", i64, false),
                            field("channel", str, false), field("url", str, false), field("date_time", ts, false),
                            field("extra", str, false)});
  }
  return nullptr;
}

Result<std::shared_ptr<NexmarkSource>> NexmarkSource::Make(const SourceSpec& spec) {
  const auto& o = spec.nexmark;
  if (o.events < -1) return Status::Invalid("nexmark: events must be >= 0 (or -1, unbounded), got ", o.events);
  if (o.batch_size < 1) return Status::Invalid("nexmark: batch_size must be >= 1, got ", o.batch_size);
  if (o.events_per_second < 1) {
    return Status::Invalid("nexmark: events_per_second must be >= 1, got ", o.events_per_second);
  }
  auto source = std::shared_ptr<NexmarkSource>(new NexmarkSource());
  source->options_ = o;
  source->schema_ = TableSchema(o.table);
  return source;
}

std::string NexmarkSource::ToString() const {
  return "NexmarkSource(table=" + std::string(sabot::ToString(options_.table)) +
         ", events=" + (bounded() ? std::to_string(options_.events) : "unbounded") +
         ", seed=" + std::to_string(options_.seed) + ")";
}

Result<SourceSplits> NexmarkSource::Splits() {
  SourceSplits splits;
  if (!bounded()) {
    splits.push_back(std::make_shared<EventRange>(0, std::numeric_limits<int64_t>::max()));
    return splits;
  }
  for (int64_t begin = 0; begin < options_.events; begin += kSplitEvents) {
    splits.push_back(std::make_shared<EventRange>(begin, std::min(options_.events, begin + kSplitEvents)));
  }
  if (splits.empty()) splits.push_back(std::make_shared<EventRange>(0, 0));
  return splits;
}

Result<std::unique_ptr<SplitReader>> NexmarkSource::Open(const SourceSplit& split) {
  const auto* range = dynamic_cast<const EventRange*>(&split);
  SABOT_CHECK(range != nullptr && range->begin <= range->end);
  return std::make_unique<NexmarkReader>(options_, schema_, range->begin, range->end);
}

}  // namespace sabot
