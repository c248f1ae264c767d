// Mix64: MurmurHash3's 64-bit finalizer, shared by the hashes that must spread their bits.
#pragma once

#include <cstdint>

namespace sabot {

//! Full avalanche: every input bit flips about half the output bits, so both low bits
//! (table slots, key groups) and high bits of a hash are well distributed even for
//! sequential keys.
inline uint64_t Mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace sabot
