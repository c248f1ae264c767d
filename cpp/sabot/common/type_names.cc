// Type names: a small recursive-descent parser and its printer.
#include "sabot/common/type_names.h"

#include <cctype>
#include <charconv>
#include <map>

#include <arrow/type.h>

namespace sabot {
namespace {

const std::map<std::string, std::shared_ptr<arrow::DataType>, std::less<>>& SimpleTypes() {
  static const auto* types = new std::map<std::string, std::shared_ptr<arrow::DataType>, std::less<>>{
      {"null", arrow::null()},         {"bool", arrow::boolean()},
      {"boolean", arrow::boolean()},   {"int8", arrow::int8()},
      {"int16", arrow::int16()},       {"int32", arrow::int32()},
      {"int64", arrow::int64()},       {"uint8", arrow::uint8()},
      {"uint16", arrow::uint16()},     {"uint32", arrow::uint32()},
      {"uint64", arrow::uint64()},     {"float16", arrow::float16()},
      {"halffloat", arrow::float16()}, {"float32", arrow::float32()},
      {"float", arrow::float32()},     {"float64", arrow::float64()},
      {"double", arrow::float64()},    {"string", arrow::utf8()},
      {"utf8", arrow::utf8()},         {"large_string", arrow::large_utf8()},
      {"large_utf8", arrow::large_utf8()}, {"binary", arrow::binary()},
      {"large_binary", arrow::large_binary()}, {"date32", arrow::date32()},
      {"date32[day]", arrow::date32()}, {"date64", arrow::date64()},
      {"date64[ms]", arrow::date64()},
  };
  return *types;
}

class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  Result<std::shared_ptr<arrow::DataType>> ParseAll() {
    ARROW_ASSIGN_OR_RAISE(auto type, ParseType());
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the type");
    return type;
  }

 private:
  Result<std::shared_ptr<arrow::DataType>> ParseType() {
    SkipSpace();
    std::string word = Word();
    if (word.empty()) return Error("expected a type name");
    if (word == "timestamp") return ParseTimestamp();
    if (word == "time32" || word == "time64") return ParseTime(word == "time64");
    if (word == "decimal") return ParseDecimal("decimal128");
    if (word == "decimal32" || word == "decimal64" || word == "decimal128" || word == "decimal256") {
      return ParseDecimal(word);
    }
    if (word == "list" || word == "large_list") return ParseList(word == "large_list");
    if (word == "date32" || word == "date64") {
      // Accept Arrow's printed forms "date32[day]" and "date64[ms]".
      if (Peek('[')) {
        while (pos_ < text_.size() && text_[pos_] != ']') ++pos_;
        if (!Consume(']')) return Error("expected ']'");
      }
    }
    auto it = SimpleTypes().find(word);
    if (it == SimpleTypes().end()) return Error("unknown type '" + word + "'");
    return it->second;
  }

  //! time32[s|ms] and time64[us|ns]: a time of day (Arrow's own names).
  Result<std::shared_ptr<arrow::DataType>> ParseTime(bool wide) {
    if (!Consume('[')) return Error(wide ? "expected '[' after time64, as in time64[us]"
                                         : "expected '[' after time32, as in time32[s]");
    const std::string unit = Word();
    if (!Consume(']')) return Error("expected ']'");
    if (!wide && unit == "s") return arrow::time32(arrow::TimeUnit::SECOND);
    if (!wide && unit == "ms") return arrow::time32(arrow::TimeUnit::MILLI);
    if (wide && unit == "us") return arrow::time64(arrow::TimeUnit::MICRO);
    if (wide && unit == "ns") return arrow::time64(arrow::TimeUnit::NANO);
    return Error("unknown time unit '" + unit + (wide ? "' for time64 (expected us or ns)" : "' for time32 (expected s or ms)"));
  }

  Result<std::shared_ptr<arrow::DataType>> ParseTimestamp() {
    if (!Consume('[')) return Error("expected '[' after timestamp, as in timestamp[us]");
    std::string unit_text = Word();
    arrow::TimeUnit::type unit;
    if (unit_text == "s") unit = arrow::TimeUnit::SECOND;
    else if (unit_text == "ms") unit = arrow::TimeUnit::MILLI;
    else if (unit_text == "us") unit = arrow::TimeUnit::MICRO;
    else if (unit_text == "ns") unit = arrow::TimeUnit::NANO;
    else return Error("unknown time unit '" + unit_text + "' (expected s, ms, us or ns)");
    std::string tz;
    if (Consume(',')) {
      if (Word() != "tz" || !Consume('=')) return Error("expected tz=<zone>");
      SkipSpace();
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != ']') ++pos_;
      tz = std::string(text_.substr(start, pos_ - start));
      while (!tz.empty() && tz.back() == ' ') tz.pop_back();
    }
    if (!Consume(']')) return Error("expected ']'");
    return arrow::timestamp(unit, tz);
  }

  // `width`: decimal32, decimal64, decimal128 or decimal256.
  Result<std::shared_ptr<arrow::DataType>> ParseDecimal(const std::string& width) {
    if (!Consume('(')) return Error("expected '(' after " + width + ", as in " + width + "(9, 2)");
    ARROW_ASSIGN_OR_RAISE(int precision, Int());
    if (!Consume(',')) return Error("expected ','");
    ARROW_ASSIGN_OR_RAISE(int scale, Int());
    if (!Consume(')')) return Error("expected ')'");
    const int most = width == "decimal32" ? 9 : width == "decimal64" ? 18 : width == "decimal128" ? 38 : 76;
    if (precision < 1 || precision > most) {
      return Error(width + " precision must be in 1.." + std::to_string(most));
    }
    if (width == "decimal32") return arrow::decimal32(precision, scale);
    if (width == "decimal64") return arrow::decimal64(precision, scale);
    if (width == "decimal128") return arrow::decimal128(precision, scale);
    return arrow::decimal256(precision, scale);
  }

  Result<std::shared_ptr<arrow::DataType>> ParseList(bool large) {
    if (!Consume('<')) return Error("expected '<' after list, as in list<int64>");
    // Arrow prints "list<item: int64>"; accept an optional field name.
    SkipSpace();
    size_t save = pos_;
    std::string name = Word();
    if (!name.empty() && Consume(':')) {
      // field name consumed
    } else {
      pos_ = save;
      name = "item";
    }
    ARROW_ASSIGN_OR_RAISE(auto value_type, ParseType());
    if (!Consume('>')) return Error("expected '>'");
    auto field = arrow::field(name, value_type);
    return large ? arrow::large_list(field) : arrow::list(field);
  }

  Result<int> Int() {
    SkipSpace();
    int value = 0;
    auto [ptr, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
    if (ec != std::errc()) return Error("expected a number").status();
    pos_ = ptr - text_.data();
    return value;
  }

  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Consume(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  Result<std::shared_ptr<arrow::DataType>> Error(const std::string& what) const {
    return Status::Invalid("invalid type '", text_, "' at offset ", pos_, ": ", what,
                           " (types look like int64, string, timestamp[us], decimal128(12, 2), "
                           "list<int64>)");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::shared_ptr<arrow::DataType>> ParseDataType(std::string_view text) {
  return TypeParser(text).ParseAll();
}

std::vector<std::string> FieldNames(const arrow::Schema& schema) {
  std::vector<std::string> names;
  names.reserve(schema.num_fields());
  for (const auto& f : schema.fields()) names.push_back(f->name());
  return names;
}

std::string FormatDataType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING: return "string";
    case arrow::Type::LARGE_STRING: return "large_string";
    case arrow::Type::BOOL: return "bool";
    case arrow::Type::HALF_FLOAT: return "float16";
    case arrow::Type::FLOAT: return "float32";
    case arrow::Type::DOUBLE: return "float64";
    case arrow::Type::DATE32: return "date32";
    case arrow::Type::DATE64: return "date64";
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST: {
      const auto& list = static_cast<const arrow::BaseListType&>(type);
      return std::string(type.id() == arrow::Type::LIST ? "list<" : "large_list<") +
             FormatDataType(*list.value_type()) + ">";
    }
    default:
      // Arrow's own names for the rest ("int64", "timestamp[us, tz=UTC]",
      // "decimal128(12, 2)") are what the parser reads.
      return type.ToString();
  }
}

}  // namespace sabot
