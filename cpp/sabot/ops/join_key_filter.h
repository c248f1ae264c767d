// A Bloom filter over the key hashes of a hash join's build side.
#pragma once

#include <cstdint>
#include <vector>

#include "sabot/common/table_memory.h"

namespace sabot {

//! Tells a probe row whose key the build side lacks apart from one that may have it, by
//! one access to a structure some 20 times smaller than the hash table's slots and
//! without a branch: at a few bits per key it stays in cache where the slots may not, and
//! a probe whose rows mostly miss (TPC-H Q4, Q5: 6M lineitems against the orders of one
//! year; Q8: against 1.5K parts) looks up the slots only for the rows that pass.
//!
//! Register-blocked: a key sets three bits of one 64-bit word, picked by its hash (the
//! top bits the word, the low bits the positions), so a test reads one word. About 16
//! bits per key: roughly 1% false positives. Never a false negative.
class JoinKeyFilter {
 public:
  //! Sized for `keys` distinct keys.
  explicit JoinKeyFilter(int64_t keys);

  //! Not thread-safe, but a key's word is the top word_bits() bits of its hash: threads
  //! that insert hashes of different top bits (at least word_bits() of them told apart)
  //! write different words, so they need no lock.
  void Insert(uint64_t hash) { words_[Word(hash)] |= Bits(hash); }
  int word_bits() const { return 64 - shift_; }

  bool MayContain(uint64_t hash) const {
    const uint64_t bits = Bits(hash);
    return (words_[Word(hash)] & bits) == bits;
  }

  void Prefetch(uint64_t hash) const { __builtin_prefetch(&words_[Word(hash)]); }

  int64_t size_bytes() const { return static_cast<int64_t>(words_.size() * sizeof(uint64_t)); }

 private:
  uint64_t Word(uint64_t hash) const { return hash >> shift_; }
  static uint64_t Bits(uint64_t hash) {
    return (uint64_t{1} << (hash & 63)) | (uint64_t{1} << ((hash >> 6) & 63)) | (uint64_t{1} << ((hash >> 12) & 63));
  }

  TableVector<uint64_t> words_;  // a power of two of them, at least 8
  int shift_;                    // 64 - log2(words_.size())
};

}  // namespace sabot
