// Text options -> Arrow FunctionOptions, one small parser per family of functions.
#include "sabot/expr/function_options.h"

#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/json/from_string.h>
#include <nlohmann/json.hpp>

#include "sabot/common/type_names.h"

namespace sabot {
namespace {

namespace cp = arrow::compute;
using OptionsPtr = std::shared_ptr<cp::FunctionOptions>;

// Reads typed values out of ExprOptions, with errors that name function and key.
class OptionReader {
 public:
  OptionReader(const std::string& function, const ExprOptions& options)
      : function_(function), options_(options) {}

  const std::string& function() const { return function_; }

  Status CheckKeys(const std::set<std::string>& allowed) const {
    for (const auto& [key, value] : options_) {
      if (!allowed.count(key)) {
        return Status::Invalid("function '", function_, "' has no option '", key,
                               "'; its options are: ",
                               JoinNames(std::vector<std::string>(allowed.begin(), allowed.end())));
      }
    }
    return Status::OK();
  }

  Result<std::string> Required(const std::string& key) const {
    auto it = options_.find(key);
    if (it == options_.end()) {
      return Status::Invalid("function '", function_, "' needs option '", key, "'");
    }
    return it->second;
  }

  std::string String(const std::string& key, std::string fallback) const {
    auto it = options_.find(key);
    return it == options_.end() ? fallback : it->second;
  }

  Result<bool> Bool(const std::string& key, bool fallback) const {
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (it->second == "true") return true;
    if (it->second == "false") return false;
    return Status::Invalid("option '", key, "' of function '", function_,
                           "' must be true or false, found '", it->second, "'");
  }

  Result<int64_t> Int(const std::string& key, int64_t fallback) const {
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    int64_t value = 0;
    const std::string& text = it->second;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      return Status::Invalid("option '", key, "' of function '", function_,
                             "' must be an integer, found '", text, "'");
    }
    return value;
  }

 private:
  const std::string& function_;
  const ExprOptions& options_;
};

Result<arrow::TimeUnit::type> ParseTimeUnit(const std::string& unit) {
  if (unit == "s") return arrow::TimeUnit::SECOND;
  if (unit == "ms") return arrow::TimeUnit::MILLI;
  if (unit == "us") return arrow::TimeUnit::MICRO;
  if (unit == "ns") return arrow::TimeUnit::NANO;
  return Status::Invalid("unknown time unit '", unit, "' (expected s, ms, us or ns)");
}

using Parser = std::function<Result<OptionsPtr>(const OptionReader&)>;

Result<OptionsPtr> ParseCast(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"to", "safe"}));
  ARROW_ASSIGN_OR_RAISE(auto to_text, r.Required("to"));
  ARROW_ASSIGN_OR_RAISE(auto to, ParseDataType(to_text));
  ARROW_ASSIGN_OR_RAISE(bool safe, r.Bool("safe", true));
  return std::make_shared<cp::CastOptions>(safe ? cp::CastOptions::Safe(to) : cp::CastOptions::Unsafe(to));
}

Result<OptionsPtr> ParseStrptime(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"format", "unit", "error_is_null"}));
  ARROW_ASSIGN_OR_RAISE(auto format, r.Required("format"));
  ARROW_ASSIGN_OR_RAISE(auto unit, ParseTimeUnit(r.String("unit", "us")));
  ARROW_ASSIGN_OR_RAISE(bool error_is_null, r.Bool("error_is_null", false));
  return std::make_shared<cp::StrptimeOptions>(format, unit, error_is_null);
}

Result<OptionsPtr> ParseStrftime(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"format"}));
  return std::make_shared<cp::StrftimeOptions>(r.String("format", "%Y-%m-%dT%H:%M:%S"));
}

Result<OptionsPtr> ParseMatch(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"pattern", "ignore_case"}));
  ARROW_ASSIGN_OR_RAISE(auto pattern, r.Required("pattern"));
  ARROW_ASSIGN_OR_RAISE(bool ignore_case, r.Bool("ignore_case", false));
  return std::make_shared<cp::MatchSubstringOptions>(pattern, ignore_case);
}

Result<OptionsPtr> ParseReplace(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"pattern", "replacement", "max_replacements"}));
  ARROW_ASSIGN_OR_RAISE(auto pattern, r.Required("pattern"));
  ARROW_ASSIGN_OR_RAISE(auto replacement, r.Required("replacement"));
  ARROW_ASSIGN_OR_RAISE(int64_t max, r.Int("max_replacements", -1));
  return std::make_shared<cp::ReplaceSubstringOptions>(pattern, replacement, max);
}

Result<OptionsPtr> ParseSplit(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"pattern", "max_splits"}));
  ARROW_ASSIGN_OR_RAISE(auto pattern, r.Required("pattern"));
  ARROW_ASSIGN_OR_RAISE(int64_t max, r.Int("max_splits", -1));
  return std::make_shared<cp::SplitPatternOptions>(pattern, max);
}

Result<OptionsPtr> ParseSlice(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"start", "stop", "step"}));
  ARROW_ASSIGN_OR_RAISE(int64_t start, r.Int("start", 0));
  ARROW_ASSIGN_OR_RAISE(int64_t stop, r.Int("stop", std::numeric_limits<int64_t>::max()));
  ARROW_ASSIGN_OR_RAISE(int64_t step, r.Int("step", 1));
  return std::make_shared<cp::SliceOptions>(start, stop, step);
}

Result<OptionsPtr> ParseRound(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"ndigits"}));
  ARROW_ASSIGN_OR_RAISE(int64_t ndigits, r.Int("ndigits", 0));
  return std::make_shared<cp::RoundOptions>(ndigits, cp::RoundMode::HALF_TO_EVEN);
}

Result<OptionsPtr> ParsePad(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"width", "padding"}));
  ARROW_ASSIGN_OR_RAISE(int64_t width, r.Int("width", 0));
  return std::make_shared<cp::PadOptions>(width, r.String("padding", " "));
}

Result<OptionsPtr> ParseTrim(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"characters"}));
  ARROW_ASSIGN_OR_RAISE(auto characters, r.Required("characters"));
  return std::make_shared<cp::TrimOptions>(characters);
}

// value_set is a JSON array of strings, integers, floats or booleans (nulls allowed):
// its Arrow type follows from the values, and Arrow casts the set to the input's type.
// How nulls compare: `null_matching` (Arrow's behaviours: match, skip, emit_null,
// inconclusive; SQL's IN is inconclusive: a null input, or no match beside a null in the
// set, gives null), or the older `skip_nulls` (true: skip, false: match). Without
// either, Arrow's default: match.
Result<OptionsPtr> ParseSetLookup(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"value_set", "skip_nulls", "null_matching"}));
  ARROW_ASSIGN_OR_RAISE(auto text, r.Required("value_set"));
  ARROW_ASSIGN_OR_RAISE(bool skip_nulls, r.Bool("skip_nulls", false));
  static const std::map<std::string, cp::SetLookupOptions::NullMatchingBehavior> kNullMatching = {
      {"match", cp::SetLookupOptions::MATCH},
      {"skip", cp::SetLookupOptions::SKIP},
      {"emit_null", cp::SetLookupOptions::EMIT_NULL},
      {"inconclusive", cp::SetLookupOptions::INCONCLUSIVE}};
  auto null_matching = skip_nulls ? cp::SetLookupOptions::SKIP : cp::SetLookupOptions::MATCH;
  const std::string behaviour = r.String("null_matching", "");
  if (!behaviour.empty()) {
    auto it = kNullMatching.find(behaviour);
    if (it == kNullMatching.end()) {
      return Status::Invalid("option 'null_matching' of function '", r.function(),
                             "' must be match, skip, emit_null or inconclusive, found '", behaviour, "'");
    }
    if (r.String("skip_nulls", "") != "") {
      return Status::Invalid("function '", r.function(), "' takes option 'null_matching' or 'skip_nulls', not both");
    }
    null_matching = it->second;
  }
  const auto values = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto invalid = [&](const std::string& why) {
    return Status::Invalid("option 'value_set' must be a JSON array of strings, numbers or booleans (", why,
                           "), found '", text, "'");
  };
  if (!values.is_array()) return invalid("not an array");
  std::shared_ptr<arrow::DataType> type = arrow::null();
  for (const auto& v : values) {
    std::shared_ptr<arrow::DataType> t = v.is_string()            ? arrow::utf8()
                                         : v.is_number_integer()  ? arrow::int64()
                                         : v.is_number_float()    ? arrow::float64()
                                         : v.is_boolean()         ? arrow::boolean()
                                         : v.is_null()            ? arrow::null()
                                                                  : nullptr;
    if (t == nullptr) return invalid("an element is a list or an object");
    if (t->id() == arrow::Type::NA) continue;
    if (type->id() == arrow::Type::INT64 && t->id() == arrow::Type::DOUBLE) type = t;
    if (type->id() == arrow::Type::DOUBLE && t->id() == arrow::Type::INT64) continue;
    if (type->id() != arrow::Type::NA && !type->Equals(*t)) return invalid("mixed kinds of values");
    type = t;
  }
  ARROW_ASSIGN_OR_RAISE(auto set, arrow::json::ArrayFromJSONString(type, text));
  return std::make_shared<cp::SetLookupOptions>(set, null_matching);
}

// floor/ceil/round_temporal: multiple (default 1) of a calendar unit, counted from the
// epoch, so floor_temporal(ts, multiple=10, unit="second") is a 10 s tumbling window's start.
Result<OptionsPtr> ParseRoundTemporal(const OptionReader& r) {
  ARROW_RETURN_NOT_OK(r.CheckKeys({"multiple", "unit"}));
  ARROW_ASSIGN_OR_RAISE(int64_t multiple, r.Int("multiple", 1));
  static const std::map<std::string, cp::CalendarUnit> kUnits = {
      {"nanosecond", cp::CalendarUnit::NANOSECOND}, {"microsecond", cp::CalendarUnit::MICROSECOND},
      {"millisecond", cp::CalendarUnit::MILLISECOND}, {"second", cp::CalendarUnit::SECOND},
      {"minute", cp::CalendarUnit::MINUTE}, {"hour", cp::CalendarUnit::HOUR},
      {"day", cp::CalendarUnit::DAY}, {"week", cp::CalendarUnit::WEEK},
      {"month", cp::CalendarUnit::MONTH}, {"quarter", cp::CalendarUnit::QUARTER},
      {"year", cp::CalendarUnit::YEAR}};
  const std::string unit = r.String("unit", "day");
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) {
    return Status::Invalid("unknown calendar unit '", unit, "' (expected nanosecond ... second, minute, hour, day, "
                           "week, month, quarter or year)");
  }
  if (multiple < 1 || multiple > std::numeric_limits<int>::max()) {
    return Status::Invalid("option 'multiple' must be at least 1, found ", multiple);
  }
  return std::make_shared<cp::RoundTemporalOptions>(static_cast<int>(multiple), it->second);
}

const std::map<std::string, Parser>& Parsers() {
  static const auto* parsers = new std::map<std::string, Parser>{
      {"cast", ParseCast},
      {"strptime", ParseStrptime},
      {"strftime", ParseStrftime},
      {"match_substring", ParseMatch},
      {"match_substring_regex", ParseMatch},
      {"match_like", ParseMatch},
      {"starts_with", ParseMatch},
      {"ends_with", ParseMatch},
      {"count_substring", ParseMatch},
      {"find_substring", ParseMatch},
      {"replace_substring", ParseReplace},
      {"replace_substring_regex", ParseReplace},
      {"split_pattern", ParseSplit},
      {"utf8_slice_codeunits", ParseSlice},
      {"round", ParseRound},
      {"floor_temporal", ParseRoundTemporal},
      {"ceil_temporal", ParseRoundTemporal},
      {"round_temporal", ParseRoundTemporal},
      {"is_in", ParseSetLookup},
      {"index_in", ParseSetLookup},
      {"utf8_lpad", ParsePad},
      {"utf8_rpad", ParsePad},
      {"utf8_center", ParsePad},
      {"utf8_trim", ParseTrim},
      {"utf8_ltrim", ParseTrim},
      {"utf8_rtrim", ParseTrim},
  };
  return *parsers;
}

}  // namespace

Result<OptionsPtr> MakeFunctionOptions(const std::string& function, const ExprOptions& options) {
  auto it = Parsers().find(function);
  if (it == Parsers().end()) {
    if (options.empty()) return nullptr;
    return Status::Invalid("function '", function, "' takes no options, found '",
                           options.begin()->first, "'");
  }
  return it->second(OptionReader(function, options));
}

}  // namespace sabot
