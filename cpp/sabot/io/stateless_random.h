// Stateless pseudo-random numbers for the synthetic sources: every value is a hash of
// (seed, row or event number, stream), so any range is generated independently and
// identically on every machine and thread.
#pragma once

#include <cstdint>

namespace sabot {

//! splitmix64's finalizer: a fast, well-mixed 64-bit hash.
inline uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

//! Maps a hash uniformly onto [0, n) without a division (Lemire's multiply-shift).
inline uint64_t Below(uint64_t h, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(h) * n) >> 64);
}

//! One independent stream per column, so changing one column's formula never moves another.
inline uint64_t Hash(uint64_t seed, uint64_t id, uint64_t stream) {
  return Mix(Mix(seed ^ (stream * 0xD1B54A32D192ED03ULL)) ^ id);
}

//! A double in [0, 1) from a hash.
inline double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace sabot
