// LIKE over literal segments: a compute function Sabot adds to Arrow's registry, which
// the binder calls instead of Arrow's match_like where the pattern allows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sabot/common/errors.h"

namespace sabot {

//! The name the function is registered under.
inline constexpr const char* kLikeSegmentsFunction = "like_segments";

//! A LIKE pattern made of literal text and '%' only ('%special%requests%'): the string
//! must start with the first segment, end with the last, and hold the middle ones in
//! order between them, found one after the other with memmem. Arrow's match_like turns
//! such a pattern with more than one inner '%' into a regex (TPC-H Q13 spent 80% of its
//! time there, about 0.5 us a row). Over a column, a pattern with middle segments first
//! looks for its longest one across all the rows' bytes at once, and matches only the
//! rows that hold it: a memmem call per row cost Q13 about 100 ns a row.
class LikeSegments {
 public:
  //! True when `pattern` has no '_' and no escape ('\'), so '%' is its only wildcard.
  static bool Applies(std::string_view pattern);
  explicit LikeSegments(std::string_view pattern);
  bool Matches(std::string_view text) const;

  //! A segment every matching string holds, to look for across many strings at once
  //! (MatchColumn); empty when the pattern has no middle segment.
  std::string_view anchor() const { return anchor_; }

 private:
  std::string prefix_, suffix_;       // anchored at the start and the end ("" when not)
  std::vector<std::string> middle_;  // in order, anywhere between them
  bool exact_ = false;               // no '%' at all: equality
  std::string anchor_;                // the longest middle segment: likely the rarest
};

//! Finds `needle` (not empty) in [from, to); `to` when it is not there. Compares the
//! needle's first and last bytes 32 positions at a time (AVX2 where the CPU has it), so
//! a long text with few hits costs about a load per 32 bytes.
const char* FindSegment(const char* from, const char* to, std::string_view needle);

//! Adds like_segments(strings, pattern) (utf8 or large_utf8, pattern a constant; Arrow's
//! match_like semantics for patterns LikeSegments applies to) to Arrow's registry once.
Status RegisterLikeSegments();

}  // namespace sabot
