// CsvEncoder: two passes per batch. The first adds up every row's length column by
// column; a prefix sum gives each row's start in one output buffer. The second formats
// each column straight into its rows' places, advancing a per-row cursor. Every loop is
// per column over one type, so there is no per-value dispatch and nothing is copied twice.
//
// The text matches arrow::csv::WriteCSV with default options (the tests compare the two
// on random batches): strings always quoted with '"' doubled inside, nulls empty,
// booleans true/false, timestamps "YYYY-MM-DD HH:MM:SS" with as many fraction digits as
// the unit has and "Z" for UTC, times likewise, dates "YYYY-MM-DD".
#include "sabot/io/csv_encoder.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

#include <arrow/array.h>
#include <arrow/memory_pool.h>
#include <arrow/type.h>
#include <arrow/type_traits.h>
#include <arrow/util/bit_util.h>

#include "sabot/common/civil_date.h"
#include "sabot/exec/event_time.h"  // FloorDiv

namespace sabot {
namespace {

// ---- digits ------------------------------------------------------------------------

constexpr uint64_t kPow10[20] = {1ULL,
                                 10ULL,
                                 100ULL,
                                 1000ULL,
                                 10000ULL,
                                 100000ULL,
                                 1000000ULL,
                                 10000000ULL,
                                 100000000ULL,
                                 1000000000ULL,
                                 10000000000ULL,
                                 100000000000ULL,
                                 1000000000000ULL,
                                 10000000000000ULL,
                                 100000000000000ULL,
                                 1000000000000000ULL,
                                 10000000000000000ULL,
                                 100000000000000000ULL,
                                 1000000000000000000ULL,
                                 10000000000000000000ULL};

// "00" "01" ... "99": two digits per division by 100.
constexpr auto kDigitPairs = [] {
  struct Table {
    char c[200];
  } t{};
  for (int i = 0; i < 100; ++i) {
    t.c[2 * i] = static_cast<char>('0' + i / 10);
    t.c[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// Decimal digits of v: log10 from the bit length (1233/4096 ~ log10 2), corrected by one
// comparison.
inline int DigitCount(uint64_t v) {
  const int bits = 64 - __builtin_clzll(v | 1);
  const int guess = (bits * 1233) >> 12;
  return guess + 1 - ((v | 1) < kPow10[guess] ? 1 : 0);  // 0 has one digit
}

// Writes the `digits` decimal digits of v ending at out + digits.
inline void WriteDigits(uint8_t* out, uint64_t v, int digits) {
  uint8_t* p = out + digits;
  while (v >= 100) {
    p -= 2;
    std::memcpy(p, kDigitPairs.c + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    p -= 2;
    std::memcpy(p, kDigitPairs.c + 2 * v, 2);
  } else {
    *--p = static_cast<uint8_t>('0' + v);
  }
}

// Exactly `width` digits of v (v < 10^width), zero padded.
inline void WritePadded(uint8_t* out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>('0' + v % 10);
    v /= 10;
  }
}

template <typename CType>
inline int IntLength(CType v) {
  if constexpr (std::is_signed_v<CType>) {
    if (v < 0) return 1 + DigitCount(uint64_t{0} - static_cast<uint64_t>(static_cast<int64_t>(v)));
  }
  return DigitCount(static_cast<uint64_t>(v));
}

template <typename CType>
inline int WriteInt(uint8_t* out, CType v) {
  if constexpr (std::is_signed_v<CType>) {
    if (v < 0) {
      const uint64_t magnitude = uint64_t{0} - static_cast<uint64_t>(static_cast<int64_t>(v));
      const int digits = DigitCount(magnitude);
      *out = '-';
      WriteDigits(out + 1, magnitude, digits);
      return digits + 1;
    }
  }
  const int digits = DigitCount(static_cast<uint64_t>(v));
  WriteDigits(out, static_cast<uint64_t>(v), digits);
  return digits;
}

// ---- calendar ----------------------------------------------------------------------

// Days since 1970-01-01 of 0000-01-01 and 9999-12-31: the years Arrow prints as 4 digits.
constexpr int64_t kFirstDay = -719528;
constexpr int64_t kLastDay = 2932896;
constexpr int64_t kSecondsPerDay = 86400;

// "YYYY-MM-DD" of a day number in [kFirstDay, kLastDay].
void WriteDate(uint8_t* out, int64_t days) {
  const CivilDate date = CivilFromDays(days);
  WritePadded(out, static_cast<uint64_t>(date.year), 4);
  out[4] = '-';
  WritePadded(out + 5, static_cast<uint64_t>(date.month), 2);
  out[7] = '-';
  WritePadded(out + 8, static_cast<uint64_t>(date.day), 2);
}

// "HH:MM:SS" then, for a unit finer than seconds, '.' and the fraction's digits.
void WriteTimeOfDay(uint8_t* out, int64_t seconds, int64_t fraction, int fraction_digits) {
  WritePadded(out, static_cast<uint64_t>(seconds / 3600), 2);
  out[2] = ':';
  WritePadded(out + 3, static_cast<uint64_t>(seconds / 60 % 60), 2);
  out[5] = ':';
  WritePadded(out + 6, static_cast<uint64_t>(seconds % 60), 2);
  if (fraction_digits > 0) {
    out[8] = '.';
    WritePadded(out + 9, static_cast<uint64_t>(fraction), fraction_digits);
  }
}

// Per second, and digits after the point, of a time unit.
struct UnitScale {
  int64_t per_second;
  int digits;
};

UnitScale ScaleOf(arrow::TimeUnit::type unit) {
  switch (unit) {
    case arrow::TimeUnit::SECOND:
      return {1, 0};
    case arrow::TimeUnit::MILLI:
      return {1000, 3};
    case arrow::TimeUnit::MICRO:
      return {1000000, 6};
    case arrow::TimeUnit::NANO:
      return {1000000000, 9};
  }
  return {1, 0};
}

// ---- columns -----------------------------------------------------------------------

// One column's two passes. Nulls are empty cells: they add and write nothing.
class ColumnCodec {
 public:
  explicit ColumnCodec(const arrow::Array& array) : array_(array) {}
  virtual ~ColumnCodec() = default;
  //! Adds each row's cell length to lengths[row].
  virtual void AddLengths(int64_t* lengths) const = 0;
  //! Writes each row's cell at out + cursor[row] and advances cursor[row] past it.
  virtual void Write(uint8_t* out, int64_t* cursor) const = 0;

 protected:
  // Calls fn(row) for every non-null row.
  template <typename Fn>
  void ForEachValid(Fn&& fn) const {
    const int64_t n = array_.length();
    if (array_.null_count() == 0) {
      for (int64_t r = 0; r < n; ++r) fn(r);
      return;
    }
    const uint8_t* bits = array_.null_bitmap_data();
    const int64_t offset = array_.offset();
    for (int64_t r = 0; r < n; ++r) {
      if (arrow::bit_util::GetBit(bits, offset + r)) fn(r);
    }
  }

  const arrow::Array& array_;
};

template <typename ArrowType>
class IntCodec final : public ColumnCodec {
  using CType = typename ArrowType::c_type;

 public:
  explicit IntCodec(const arrow::Array& array)
      : ColumnCodec(array), values_(static_cast<const arrow::NumericArray<ArrowType>&>(array).raw_values()) {}
  void AddLengths(int64_t* lengths) const override {
    ForEachValid([&](int64_t r) { lengths[r] += IntLength(values_[r]); });
  }
  void Write(uint8_t* out, int64_t* cursor) const override {
    ForEachValid([&](int64_t r) { cursor[r] += WriteInt(out + cursor[r], values_[r]); });
  }

 private:
  const CType* values_;
};

class BoolCodec final : public ColumnCodec {
 public:
  explicit BoolCodec(const arrow::Array& array)
      : ColumnCodec(array), bools_(static_cast<const arrow::BooleanArray&>(array)) {}
  void AddLengths(int64_t* lengths) const override {
    ForEachValid([&](int64_t r) { lengths[r] += bools_.Value(r) ? 4 : 5; });
  }
  void Write(uint8_t* out, int64_t* cursor) const override {
    ForEachValid([&](int64_t r) {
      const bool v = bools_.Value(r);
      std::memcpy(out + cursor[r], v ? "true" : "false", v ? 4 : 5);
      cursor[r] += v ? 4 : 5;
    });
  }

 private:
  const arrow::BooleanArray& bools_;
};

// Strings are always quoted; a '"' inside is doubled. Most columns have none, which one
// memchr over the column's bytes shows, and then no value is searched.
template <typename ArrayType>
class StringCodec final : public ColumnCodec {
 public:
  explicit StringCodec(const arrow::Array& array)
      : ColumnCodec(array), strings_(static_cast<const ArrayType&>(array)) {
    const auto* offsets = strings_.raw_value_offsets();
    const auto begin = offsets[0];
    const auto end = offsets[strings_.length()];
    has_quotes_ = end > begin && std::memchr(strings_.raw_data() + begin, '"', static_cast<size_t>(end - begin)) != nullptr;
  }
  void AddLengths(int64_t* lengths) const override {
    ForEachValid([&](int64_t r) {
      const std::string_view v = strings_.GetView(r);
      lengths[r] += 2 + static_cast<int64_t>(v.size()) + (has_quotes_ ? Quotes(v) : 0);
    });
  }
  void Write(uint8_t* out, int64_t* cursor) const override {
    ForEachValid([&](int64_t r) {
      const std::string_view v = strings_.GetView(r);
      uint8_t* p = out + cursor[r];
      *p++ = '"';
      if (!has_quotes_ || Quotes(v) == 0) {
        if (!v.empty()) std::memcpy(p, v.data(), v.size());
        p += v.size();
      } else {
        for (const char c : v) {
          if (c == '"') *p++ = '"';
          *p++ = static_cast<uint8_t>(c);
        }
      }
      *p++ = '"';
      cursor[r] = p - out;
    });
  }

 private:
  static int64_t Quotes(std::string_view v) {
    int64_t n = 0;
    for (const char c : v) n += c == '"' ? 1 : 0;
    return n;
  }

  const ArrayType& strings_;
  bool has_quotes_ = false;
};

// Calls fn(value) for every non-null value of an integer-backed temporal array.
template <typename CType, typename Fn>
bool AllValid(const arrow::Array& array, Fn&& fn) {
  const auto* values = reinterpret_cast<const CType*>(array.data()->buffers[1]->data()) + array.offset();
  const uint8_t* bits = array.null_count() == 0 ? nullptr : array.null_bitmap_data();
  for (int64_t r = 0; r < array.length(); ++r) {
    if (bits != nullptr && !arrow::bit_util::GetBit(bits, array.offset() + r)) continue;
    if (!fn(values[r])) return false;
  }
  return true;
}

class DateCodec final : public ColumnCodec {
 public:
  explicit DateCodec(const arrow::Array& array)
      : ColumnCodec(array), days_(static_cast<const arrow::Date32Array&>(array).raw_values()) {}
  static bool InRange(const arrow::Array& array) {
    return AllValid<int32_t>(array, [](int32_t d) { return d >= kFirstDay && d <= kLastDay; });
  }
  void AddLengths(int64_t* lengths) const override {
    ForEachValid([&](int64_t r) { lengths[r] += 10; });
  }
  void Write(uint8_t* out, int64_t* cursor) const override {
    ForEachValid([&](int64_t r) {
      WriteDate(out + cursor[r], days_[r]);
      cursor[r] += 10;
    });
  }

 private:
  const int32_t* days_;
};

// Timestamps: date, ' ', time of day, fraction, and 'Z' for UTC. Rows of a batch mostly
// share a day, so the last day's text is kept and copied.
class TimestampCodec final : public ColumnCodec {
 public:
  TimestampCodec(const arrow::Array& array, UnitScale scale, bool utc)
      : ColumnCodec(array),
        values_(static_cast<const arrow::TimestampArray&>(array).raw_values()),
        scale_(scale),
        length_(19 + (scale.digits > 0 ? 1 + scale.digits : 0) + (utc ? 1 : 0)),
        utc_(utc) {}
  static bool InRange(const arrow::Array& array, UnitScale scale) {
    const int64_t per_day = kSecondsPerDay * scale.per_second;
    return AllValid<int64_t>(array, [&](int64_t v) {
      const int64_t day = FloorDiv(v, per_day);
      return day >= kFirstDay && day <= kLastDay;
    });
  }
  void AddLengths(int64_t* lengths) const override {
    ForEachValid([&](int64_t r) { lengths[r] += length_; });
  }
  void Write(uint8_t* out, int64_t* cursor) const override {
    const int64_t per_day = kSecondsPerDay * scale_.per_second;
    int64_t cached_day = std::numeric_limits<int64_t>::min();
    uint8_t day_text[10];
    ForEachValid([&](int64_t r) {
      const int64_t v = values_[r];
      const int64_t day = FloorDiv(v, per_day);
      const int64_t in_day = v - day * per_day;
      if (day != cached_day) {
        WriteDate(day_text, day);
        cached_day = day;
      }
      uint8_t* p = out + cursor[r];
      std::memcpy(p, day_text, 10);
      p[10] = ' ';
      WriteTimeOfDay(p + 11, in_day / scale_.per_second, in_day % scale_.per_second, scale_.digits);
      if (utc_) p[length_ - 1] = 'Z';
      cursor[r] += length_;
    });
  }

 private:
  const int64_t* values_;
  UnitScale scale_;
  int length_;
  bool utc_;
};

template <typename CType>
class TimeCodec final : public ColumnCodec {
 public:
  TimeCodec(const arrow::Array& array, UnitScale scale)
      : ColumnCodec(array),
        values_(reinterpret_cast<const CType*>(array.data()->buffers[1]->data()) + array.offset()),
        scale_(scale),
        length_(8 + (scale.digits > 0 ? 1 + scale.digits : 0)) {}
  static bool InRange(const arrow::Array& array, UnitScale scale) {
    return AllValid<CType>(array, [&](CType v) { return v >= 0 && v < kSecondsPerDay * scale.per_second; });
  }
  void AddLengths(int64_t* lengths) const override {
    ForEachValid([&](int64_t r) { lengths[r] += length_; });
  }
  void Write(uint8_t* out, int64_t* cursor) const override {
    ForEachValid([&](int64_t r) {
      const int64_t v = values_[r];
      WriteTimeOfDay(out + cursor[r], v / scale_.per_second, v % scale_.per_second, scale_.digits);
      cursor[r] += length_;
    });
  }

 private:
  const CType* values_;
  UnitScale scale_;
  int length_;
};

bool IsUtc(const std::string& timezone) { return timezone == "UTC"; }

// The codec for one column, or Invalid when a value falls outside what the codec writes
// exactly as Arrow does (the caller then takes Arrow's writer for this batch).
Result<std::unique_ptr<ColumnCodec>> MakeCodec(const arrow::Array& array) {
  const arrow::DataType& type = *array.type();
  switch (type.id()) {
    case arrow::Type::INT8:
      return std::make_unique<IntCodec<arrow::Int8Type>>(array);
    case arrow::Type::INT16:
      return std::make_unique<IntCodec<arrow::Int16Type>>(array);
    case arrow::Type::INT32:
      return std::make_unique<IntCodec<arrow::Int32Type>>(array);
    case arrow::Type::INT64:
      return std::make_unique<IntCodec<arrow::Int64Type>>(array);
    case arrow::Type::UINT8:
      return std::make_unique<IntCodec<arrow::UInt8Type>>(array);
    case arrow::Type::UINT16:
      return std::make_unique<IntCodec<arrow::UInt16Type>>(array);
    case arrow::Type::UINT32:
      return std::make_unique<IntCodec<arrow::UInt32Type>>(array);
    case arrow::Type::UINT64:
      return std::make_unique<IntCodec<arrow::UInt64Type>>(array);
    case arrow::Type::BOOL:
      return std::make_unique<BoolCodec>(array);
    case arrow::Type::STRING:
      return std::make_unique<StringCodec<arrow::StringArray>>(array);
    case arrow::Type::LARGE_STRING:
      return std::make_unique<StringCodec<arrow::LargeStringArray>>(array);
    case arrow::Type::DATE32:
      if (!DateCodec::InRange(array)) break;
      return std::make_unique<DateCodec>(array);
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      const UnitScale scale = ScaleOf(ts.unit());
      if (!TimestampCodec::InRange(array, scale)) break;
      return std::make_unique<TimestampCodec>(array, scale, IsUtc(ts.timezone()));
    }
    case arrow::Type::TIME32: {
      const UnitScale scale = ScaleOf(static_cast<const arrow::Time32Type&>(type).unit());
      if (!TimeCodec<int32_t>::InRange(array, scale)) break;
      return std::make_unique<TimeCodec<int32_t>>(array, scale);
    }
    case arrow::Type::TIME64: {
      const UnitScale scale = ScaleOf(static_cast<const arrow::Time64Type&>(type).unit());
      if (!TimeCodec<int64_t>::InRange(array, scale)) break;
      return std::make_unique<TimeCodec<int64_t>>(array, scale);
    }
    default:
      return Status::NotImplemented("CSV encoder: no native encoding for ", type.ToString());
  }
  return Status::Invalid("CSV encoder: a ", type.ToString(), " value lies outside years 0000-9999");
}

bool SupportedType(const arrow::DataType& type) {
  const arrow::Type::type id = type.id();
  if (id == arrow::Type::TIMESTAMP) {
    const auto& tz = static_cast<const arrow::TimestampType&>(type).timezone();
    return tz.empty() || IsUtc(tz);  // other zones print local time with an offset
  }
  return arrow::is_integer(id) || arrow::is_time(id) || id == arrow::Type::BOOL || id == arrow::Type::STRING ||
         id == arrow::Type::LARGE_STRING || id == arrow::Type::DATE32;
}

}  // namespace

bool CsvEncoder::Supports(const arrow::Schema& schema) {
  for (const auto& field : schema.fields()) {
    if (!SupportedType(*field->type())) return false;
  }
  return schema.num_fields() > 0;
}

std::string CsvEncoder::Header(const arrow::Schema& schema) {
  std::string out;
  for (int i = 0; i < schema.num_fields(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (const char c : schema.field(i)->name()) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('\n');
  return out;
}

Result<std::shared_ptr<arrow::Buffer>> CsvEncoder::Encode(const arrow::RecordBatch& batch, arrow::MemoryPool* pool) {
  const int columns = batch.num_columns();
  const int64_t rows = batch.num_rows();
  std::vector<std::unique_ptr<ColumnCodec>> codecs;
  codecs.reserve(static_cast<size_t>(columns));
  for (int c = 0; c < columns; ++c) {
    ARROW_ASSIGN_OR_RAISE(auto codec, MakeCodec(*batch.column(c)));
    codecs.push_back(std::move(codec));
  }
  // Pass 1: each row's length (one separator per column: commas and the newline).
  std::vector<int64_t> cursor(static_cast<size_t>(rows), columns);
  for (const auto& codec : codecs) codec->AddLengths(cursor.data());
  int64_t total = 0;
  for (auto& c : cursor) {
    const int64_t length = c;
    c = total;  // now the row's start
    total += length;
  }
  ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::AllocateBuffer(total, pool));
  uint8_t* out = buffer->mutable_data();
  // Pass 2: each column into its rows' places, then its separator.
  for (int c = 0; c < columns; ++c) {
    codecs[static_cast<size_t>(c)]->Write(out, cursor.data());
    const uint8_t separator = c + 1 == columns ? '\n' : ',';
    for (int64_t r = 0; r < rows; ++r) out[cursor[static_cast<size_t>(r)]++] = separator;
  }
  return std::shared_ptr<arrow::Buffer>(std::move(buffer));
}

}  // namespace sabot
