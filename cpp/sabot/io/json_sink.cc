// JSON lines file sink. Arrow has no JSON writer, so values are encoded here: one type
// dispatch per column per batch, then a tight typed loop over the rows.
#include "sabot/io/json_sink.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <arrow/array.h>
#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/checked_cast.h>
#include <arrow/util/float16.h>

#include "sabot/common/civil_date.h"
#include "sabot/exec/event_time.h"  // FloorDiv

namespace sabot {
namespace {

using arrow::internal::checked_cast;

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t clean_from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    // Bytes >= 0x80 are UTF-8 sequences, which JSON allows verbatim.
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + clean_from, i - clean_from);
    clean_from = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
    }
  }
  out->append(s.data() + clean_from, s.size() - clean_from);
  out->push_back('"');
}

template <typename T>
void AppendNumber(T value, std::string* out) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if constexpr (std::is_floating_point_v<T>) {
    // Keep floats recognisable as floats to readers that infer types ("1.0", not "1").
    if (std::string_view(buf, end - buf).find_first_of(".e") == std::string_view::npos) {
      *end++ = '.';
      *end++ = '0';
    }
  }
  out->append(buf, end);
}

void AppendDigits(int64_t value, int width, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  for (int pad = width - static_cast<int>(end - buf); pad > 0; --pad) out->push_back('0');
  out->append(buf, end);
}

//! "YYYY-MM-DD" for days since 1970-01-01.
void AppendDate(int64_t days, std::string* out) {
  const CivilDate date = CivilFromDays(days);
  if (date.year < 0) out->push_back('-');
  AppendDigits(date.year < 0 ? -date.year : date.year, 4, out);
  out->push_back('-');
  AppendDigits(date.month, 2, out);
  out->push_back('-');
  AppendDigits(date.day, 2, out);
}

//! "hh:mm:ss" plus `digits` fraction digits, for a time of day in 1/10^digits seconds.
void AppendTimeOfDay(int64_t ticks, int64_t ticks_per_second, int digits, std::string* out) {
  const int64_t seconds = ticks / ticks_per_second;
  AppendDigits(seconds / 3600, 2, out);
  out->push_back(':');
  AppendDigits(seconds / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(seconds % 60, 2, out);
  if (digits > 0) {
    out->push_back('.');
    AppendDigits(ticks % ticks_per_second, digits, out);
  }
}

struct UnitScale {
  int64_t ticks_per_second;
  int digits;
};
UnitScale ScaleOf(arrow::TimeUnit::type unit) {
  switch (unit) {
    case arrow::TimeUnit::SECOND: return {1, 0};
    case arrow::TimeUnit::MILLI: return {1'000, 3};
    case arrow::TimeUnit::MICRO: return {1'000'000, 6};
    case arrow::TimeUnit::NANO: return {1'000'000'000, 9};
  }
  return {1, 0};
}

//! Seconds east of UTC for "+hh:mm", "-hhmm", "UTC", "Z"; nullopt for named zones.
std::optional<int64_t> FixedOffsetSeconds(const std::string& tz) {
  if (tz == "UTC" || tz == "Etc/UTC" || tz == "Z" || tz == "utc") return 0;
  std::string digits;
  if (tz.size() < 5 || (tz[0] != '+' && tz[0] != '-')) return std::nullopt;
  for (char c : tz.substr(1)) {
    if (c >= '0' && c <= '9') digits.push_back(c);
    else if (c != ':') return std::nullopt;
  }
  if (digits.size() != 4) return std::nullopt;
  const int64_t seconds = std::stoi(digits.substr(0, 2)) * 3600 + std::stoi(digits.substr(2)) * 60;
  return tz[0] == '-' ? -seconds : seconds;
}

// Encoders append one non-null value as JSON. They are plain structs so the per-column
// loop inlines them; ValueEncoder boxes one (with null handling) for nested children.
class ValueEncoder {
 public:
  virtual ~ValueEncoder() = default;
  virtual void Append(int64_t i, std::string* out) const = 0;
};
using ValueEncoderPtr = std::unique_ptr<ValueEncoder>;
Result<ValueEncoderPtr> MakeValueEncoder(const arrow::Array& array);

struct NullEncoder {
  void Append(int64_t, std::string* out) const { out->append("null"); }
};
struct BoolEncoder {
  const arrow::BooleanArray& array;
  void Append(int64_t i, std::string* out) const {
    out->append(array.Value(i) ? "true" : "false");
  }
};
template <typename CType>
struct NumberEncoder {
  const CType* values;
  void Append(int64_t i, std::string* out) const {
    if constexpr (std::is_floating_point_v<CType>) {
      if (!std::isfinite(values[i])) return out->append("null"), void();
    }
    AppendNumber(values[i], out);
  }
};
struct HalfFloatEncoder {
  const uint16_t* values;
  void Append(int64_t i, std::string* out) const {
    const float value = arrow::util::Float16::FromBits(values[i]).ToFloat();
    NumberEncoder<float>{&value}.Append(0, out);
  }
};
template <typename ArrayType>
struct StringEncoder {
  const ArrayType& array;
  void Append(int64_t i, std::string* out) const { AppendJsonString(array.GetView(i), out); }
};
struct Date32Encoder {
  const int32_t* days;
  void Append(int64_t i, std::string* out) const {
    out->push_back('"');
    AppendDate(days[i], out);
    out->push_back('"');
  }
};
struct Date64Encoder {
  const int64_t* millis;
  void Append(int64_t i, std::string* out) const {
    out->push_back('"');
    AppendDate(FloorDiv(millis[i], 86'400'000), out);
    out->push_back('"');
  }
};
template <typename CType>
struct TimeEncoder {
  const CType* ticks;
  UnitScale scale;
  void Append(int64_t i, std::string* out) const {
    out->push_back('"');
    AppendTimeOfDay(ticks[i], scale.ticks_per_second, scale.digits, out);
    out->push_back('"');
  }
};
struct TimestampEncoder {
  const int64_t* ticks;
  UnitScale scale;
  int64_t offset_seconds;  // added to the UTC instant to get the written wall time
  std::string suffix;      // "", "Z" or "+hh:mm"
  void Append(int64_t i, std::string* out) const {
    const int64_t tps = scale.ticks_per_second;
    const int64_t ticks_per_day = 86'400 * tps;
    const int64_t local = ticks[i] + offset_seconds * tps;
    const int64_t days = FloorDiv(local, ticks_per_day);
    out->push_back('"');
    AppendDate(days, out);
    out->push_back('T');
    AppendTimeOfDay(local - days * ticks_per_day, tps, scale.digits, out);
    out->append(suffix);
    out->push_back('"');
  }
};
template <typename ArrayType>
struct DecimalEncoder {
  const ArrayType& array;
  // A string keeps every digit; a JSON number would go through a double in most readers.
  void Append(int64_t i, std::string* out) const { AppendJsonString(array.FormatValue(i), out); }
};
template <typename ArrayType>
struct ListEncoder {
  const ArrayType& array;
  ValueEncoderPtr values;
  void Append(int64_t i, std::string* out) const {
    out->push_back('[');
    const int64_t begin = array.value_offset(i);
    const int64_t end = begin + array.value_length(i);
    for (int64_t j = begin; j < end; ++j) {
      if (j > begin) out->push_back(',');
      values->Append(j, out);
    }
    out->push_back(']');
  }
};
struct StructEncoder {
  std::vector<std::string> keys;  // "\"name\":"
  std::vector<ValueEncoderPtr> fields;
  void Append(int64_t i, std::string* out) const {
    out->push_back('{');
    for (size_t f = 0; f < fields.size(); ++f) {
      if (f > 0) out->push_back(',');
      out->append(keys[f]);
      fields[f]->Append(i, out);
    }
    out->push_back('}');
  }
};
struct DictionaryEncoder {
  const arrow::DictionaryArray& array;
  ValueEncoderPtr dictionary;
  void Append(int64_t i, std::string* out) const {
    dictionary->Append(array.GetValueIndex(i), out);
  }
};
//! Rare types: Arrow's own text for the value, as a JSON string. Per-cell scalars are
//! slow, which is acceptable only because these types are rare in sink output.
struct TextEncoder {
  const arrow::Array& array;
  void Append(int64_t i, std::string* out) const {
    auto scalar = array.GetScalar(i);
    AppendJsonString(scalar.ok() ? (*scalar)->ToString() : scalar.status().ToString(), out);
  }
};

template <typename E>
class NullableEncoder final : public ValueEncoder {
 public:
  NullableEncoder(const arrow::Array& array, E encoder)
      : array_(array), encoder_(std::move(encoder)) {}
  void Append(int64_t i, std::string* out) const override {
    if (array_.IsNull(i)) return out->append("null"), void();
    encoder_.Append(i, out);
  }

 private:
  const arrow::Array& array_;
  E encoder_;
};

std::string JsonKey(const std::string& name) {
  std::string key;
  AppendJsonString(name, &key);
  key.push_back(':');
  return key;
}

template <typename ArrowType>
const typename ArrowType::c_type* RawValues(const arrow::Array& array) {
  return checked_cast<const arrow::NumericArray<ArrowType>&>(array).raw_values();
}

//! Calls fn with the encoder for `array`'s type: the one type switch per column.
template <typename Fn>
Status VisitEncoder(const arrow::Array& array, Fn&& fn) {
  using arrow::Type;
  switch (array.type_id()) {
    case Type::NA: return fn(NullEncoder{});
    case Type::BOOL: return fn(BoolEncoder{checked_cast<const arrow::BooleanArray&>(array)});
    case Type::INT8: return fn(NumberEncoder<int8_t>{RawValues<arrow::Int8Type>(array)});
    case Type::INT16: return fn(NumberEncoder<int16_t>{RawValues<arrow::Int16Type>(array)});
    case Type::INT32: return fn(NumberEncoder<int32_t>{RawValues<arrow::Int32Type>(array)});
    case Type::INT64: return fn(NumberEncoder<int64_t>{RawValues<arrow::Int64Type>(array)});
    case Type::UINT8: return fn(NumberEncoder<uint8_t>{RawValues<arrow::UInt8Type>(array)});
    case Type::UINT16: return fn(NumberEncoder<uint16_t>{RawValues<arrow::UInt16Type>(array)});
    case Type::UINT32: return fn(NumberEncoder<uint32_t>{RawValues<arrow::UInt32Type>(array)});
    case Type::UINT64: return fn(NumberEncoder<uint64_t>{RawValues<arrow::UInt64Type>(array)});
    case Type::HALF_FLOAT: return fn(HalfFloatEncoder{RawValues<arrow::HalfFloatType>(array)});
    case Type::FLOAT: return fn(NumberEncoder<float>{RawValues<arrow::FloatType>(array)});
    case Type::DOUBLE: return fn(NumberEncoder<double>{RawValues<arrow::DoubleType>(array)});
    case Type::STRING:
      return fn(StringEncoder<arrow::StringArray>{checked_cast<const arrow::StringArray&>(array)});
    case Type::LARGE_STRING:
      return fn(StringEncoder<arrow::LargeStringArray>{
          checked_cast<const arrow::LargeStringArray&>(array)});
    case Type::STRING_VIEW:
      return fn(StringEncoder<arrow::StringViewArray>{
          checked_cast<const arrow::StringViewArray&>(array)});
    case Type::DATE32: return fn(Date32Encoder{RawValues<arrow::Date32Type>(array)});
    case Type::DATE64: return fn(Date64Encoder{RawValues<arrow::Date64Type>(array)});
    case Type::TIME32: {
      const auto& type = checked_cast<const arrow::Time32Type&>(*array.type());
      return fn(TimeEncoder<int32_t>{RawValues<arrow::Time32Type>(array), ScaleOf(type.unit())});
    }
    case Type::TIME64: {
      const auto& type = checked_cast<const arrow::Time64Type&>(*array.type());
      return fn(TimeEncoder<int64_t>{RawValues<arrow::Time64Type>(array), ScaleOf(type.unit())});
    }
    case Type::TIMESTAMP: {
      const auto& type = checked_cast<const arrow::TimestampType&>(*array.type());
      TimestampEncoder encoder{RawValues<arrow::TimestampType>(array), ScaleOf(type.unit()), 0, ""};
      if (!type.timezone().empty()) {
        // Named zones need a tz database; the UTC instant with 'Z' is exact for them too.
        const auto offset = FixedOffsetSeconds(type.timezone());
        if (offset.has_value() && *offset != 0) {
          encoder.offset_seconds = *offset;
          encoder.suffix = type.timezone();
          if (encoder.suffix.find(':') == std::string::npos) encoder.suffix.insert(3, ":");
        } else {
          encoder.suffix = "Z";
        }
      }
      return fn(std::move(encoder));
    }
    case Type::DECIMAL32:
      return fn(DecimalEncoder<arrow::Decimal32Array>{
          checked_cast<const arrow::Decimal32Array&>(array)});
    case Type::DECIMAL64:
      return fn(DecimalEncoder<arrow::Decimal64Array>{
          checked_cast<const arrow::Decimal64Array&>(array)});
    case Type::DECIMAL128:
      return fn(DecimalEncoder<arrow::Decimal128Array>{
          checked_cast<const arrow::Decimal128Array&>(array)});
    case Type::DECIMAL256:
      return fn(DecimalEncoder<arrow::Decimal256Array>{
          checked_cast<const arrow::Decimal256Array&>(array)});
    case Type::LIST: {
      const auto& list = checked_cast<const arrow::ListArray&>(array);
      ARROW_ASSIGN_OR_RAISE(auto values, MakeValueEncoder(*list.values()));
      return fn(ListEncoder<arrow::ListArray>{list, std::move(values)});
    }
    case Type::LARGE_LIST: {
      const auto& list = checked_cast<const arrow::LargeListArray&>(array);
      ARROW_ASSIGN_OR_RAISE(auto values, MakeValueEncoder(*list.values()));
      return fn(ListEncoder<arrow::LargeListArray>{list, std::move(values)});
    }
    case Type::FIXED_SIZE_LIST: {
      const auto& list = checked_cast<const arrow::FixedSizeListArray&>(array);
      ARROW_ASSIGN_OR_RAISE(auto values, MakeValueEncoder(*list.values()));
      return fn(ListEncoder<arrow::FixedSizeListArray>{list, std::move(values)});
    }
    case Type::STRUCT: {
      const auto& struct_array = checked_cast<const arrow::StructArray&>(array);
      StructEncoder encoder;
      for (int f = 0; f < struct_array.num_fields(); ++f) {
        encoder.keys.push_back(JsonKey(struct_array.struct_type()->field(f)->name()));
        // field() (unlike fields()) applies the struct's own offset to the child.
        ARROW_ASSIGN_OR_RAISE(auto field, MakeValueEncoder(*struct_array.field(f)));
        encoder.fields.push_back(std::move(field));
      }
      return fn(std::move(encoder));
    }
    case Type::DICTIONARY: {
      const auto& dict = checked_cast<const arrow::DictionaryArray&>(array);
      ARROW_ASSIGN_OR_RAISE(auto values, MakeValueEncoder(*dict.dictionary()));
      return fn(DictionaryEncoder{dict, std::move(values)});
    }
    default:
      return fn(TextEncoder{array});
  }
}

Result<ValueEncoderPtr> MakeValueEncoder(const arrow::Array& array) {
  ValueEncoderPtr out;
  ARROW_RETURN_NOT_OK(VisitEncoder(array, [&](auto&& encoder) {
    using E = std::decay_t<decltype(encoder)>;
    out = std::make_unique<NullableEncoder<E>>(array, std::move(encoder));
    return Status::OK();
  }));
  return out;
}

class JsonSink final : public FileSink {
 public:
  using FileSink::FileSink;
  using FileSink::Open;

  std::string_view name() const override { return "JsonSink"; }

 protected:
  Status StartFormat(std::shared_ptr<arrow::io::OutputStream> stream) override {
    stream_ = std::move(stream);
    // The first key opens the object, the others follow a comma: one copy per cell.
    const auto& fields = input_schema()->fields();
    for (size_t c = 0; c < fields.size(); ++c) {
      keys_.push_back((c == 0 ? "{" : ",") + JsonKey(fields[c]->name()));
    }
    return Status::OK();
  }

  // Columns are encoded one at a time into their own buffer (one type switch, a tight
  // loop, cache-friendly), then interleaved row by row into one write.
  Status WriteBatch(const arrow::RecordBatch& batch) override {
    const int64_t num_rows = batch.num_rows();
    const int num_columns = batch.num_columns();
    columns_.resize(num_columns);
    size_t total = static_cast<size_t>(num_rows) * (num_columns == 0 ? 3 : 2);  // "{" "}\n"
    for (int c = 0; c < num_columns; ++c) {
      ARROW_RETURN_NOT_OK(EncodeColumn(*batch.column(c), num_rows, &columns_[c]));
      total += columns_[c].text.size() + keys_[c].size() * num_rows;
    }
    // The buffers keep their capacity across batches, so steady state allocates nothing.
    buffer_.resize(total);
    char* out = buffer_.data();
    auto put = [&out](const char* data, size_t size) {
      std::memcpy(out, data, size);
      out += size;
    };
    for (int64_t r = 0; r < num_rows; ++r) {
      if (num_columns == 0) put("{", 1);
      for (int c = 0; c < num_columns; ++c) {
        const ColumnText& column = columns_[c];
        const size_t begin = r == 0 ? 0 : column.ends[r - 1];
        put(keys_[c].data(), keys_[c].size());
        put(column.text.data() + begin, column.ends[r] - begin);
      }
      put("}\n", 2);
    }
    SABOT_CHECK(out == buffer_.data() + total);
    return stream_->Write(buffer_.data(), static_cast<int64_t>(total));
  }

  Status FinishFormat() override { return Status::OK(); }

 private:
  //! One column's values as JSON text; row r is text[ends[r-1], ends[r]).
  struct ColumnText {
    std::string text;
    std::vector<size_t> ends;
  };

  static Status EncodeColumn(const arrow::Array& column, int64_t num_rows, ColumnText* out) {
    out->text.clear();
    out->ends.resize(num_rows);
    const bool has_nulls = column.null_count() != 0;
    return VisitEncoder(column, [&](const auto& encoder) {
      std::string& text = out->text;
      for (int64_t r = 0; r < num_rows; ++r) {
        if (has_nulls && column.IsNull(r)) {
          text.append("null");
        } else {
          encoder.Append(r, &text);
        }
        out->ends[r] = text.size();
      }
      return Status::OK();
    });
  }

  std::shared_ptr<arrow::io::OutputStream> stream_;
  std::vector<std::string> keys_;  // "{\"a\":" for the first column, ",\"b\":" after
  std::vector<ColumnText> columns_;
  std::string buffer_;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeJsonSink(std::string path,
                                           std::shared_ptr<arrow::Schema> input_schema,
                                           SinkOutput* output) {
  auto sink = std::make_unique<JsonSink>(std::move(path), std::move(input_schema), output);
  ARROW_RETURN_NOT_OK(sink->Open());
  return sink;
}

}  // namespace sabot
