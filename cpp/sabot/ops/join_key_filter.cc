// Sizing of the join key Bloom filter.
#include "sabot/ops/join_key_filter.h"

#include <algorithm>
#include <bit>

namespace sabot {

JoinKeyFilter::JoinKeyFilter(int64_t keys) {
  // 16 bits a key, rounded up to a power of two of words (the top bits of the hash pick one).
  const uint64_t wanted = static_cast<uint64_t>(std::max<int64_t>(keys, 1)) * 16 / 64;
  const uint64_t words = std::bit_ceil(std::max<uint64_t>(wanted, 8));
  words_.assign(words, 0);
  shift_ = 64 - std::countr_zero(words);
}

}  // namespace sabot
