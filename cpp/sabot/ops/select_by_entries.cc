// SelectByEntries: row by row, and 16 rows at a time with AVX-512 (the library is built
// for the x86-64 baseline). Row by row costs a byte load per test and row; the gathers
// fetch 16 rows' truth bytes per instruction, and the passing rows' numbers are
// compressed into place.
#include "sabot/ops/select_by_entries.h"

#include <bit>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sabot {
namespace {

// Rows [from, n): each row is written, and the next one overwrites it unless it passed.
template <int kTests, bool kKeep>
size_t OneByOne(int64_t from, int64_t n, const uint8_t* keep, const EntryTest* tests, int32_t* rows) {
  size_t count = 0;
  for (int64_t i = from; i < n; ++i) {
    uint8_t pass = kKeep ? static_cast<uint8_t>(keep[i] != 0) : 1;
    for (int t = 0; t < kTests; ++t) pass &= tests[t].truth[tests[t].index[i]];
    rows[count] = static_cast<int32_t>(i);
    count += pass;
  }
  return count;
}

#if defined(__x86_64__)
// See dictionary_gather.cc: GCC 12's AVX-512 headers trip its uninitialized warnings.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int kTests, bool kKeep>
__attribute__((target("avx512f"))) size_t Avx512(int64_t n, const uint8_t* keep, const EntryTest* tests,
                                                 int32_t* rows) {
  const __m512i low_byte = _mm512_set1_epi32(0xFF);
  const __m512i step = _mm512_set1_epi32(16);
  __m512i row = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  size_t count = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    // Four bytes from each row's entry (the table's padding covers the last), of which
    // the first is the truth. The gathers are independent of each other: masking each by
    // the rows the previous one dropped chained their latencies (1.5 times as slow).
    __m512i truth = _mm512_i32gather_epi32(_mm512_loadu_si512(tests[0].index + i), tests[0].truth, 1);
    for (int t = 1; t < kTests; ++t) {
      const __m512i index = _mm512_loadu_si512(tests[t].index + i);
      truth = _mm512_and_si512(truth, _mm512_i32gather_epi32(index, tests[t].truth, 1));
    }
    __mmask16 kept = 0xFFFF;
    if constexpr (kKeep) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keep + i));
      kept = _mm512_test_epi32_mask(_mm512_cvtepu8_epi32(bytes), low_byte);
    }
    const __mmask16 pass = _mm512_mask_test_epi32_mask(kept, truth, low_byte);
    _mm512_storeu_si512(rows + count, _mm512_maskz_compress_epi32(pass, row));
    count += static_cast<size_t>(std::popcount(static_cast<unsigned>(pass)));
    row = _mm512_add_epi32(row, step);
  }
  return count + OneByOne<kTests, kKeep>(i, n, keep, tests, rows + count);
}
#pragma GCC diagnostic pop

const bool kAvx512 = __builtin_cpu_supports("avx512f");
#else
const bool kAvx512 = false;
#endif

template <int kTests, bool kKeep>
size_t Select(int64_t n, const uint8_t* keep, const EntryTest* tests, int32_t* rows) {
#if defined(__x86_64__)
  if (kAvx512) return Avx512<kTests, kKeep>(n, keep, tests, rows);
#endif
  return OneByOne<kTests, kKeep>(0, n, keep, tests, rows);
}

template <bool kKeep>
size_t SelectWith(int64_t n, const uint8_t* keep, const EntryTest* tests, int count, int32_t* rows) {
  switch (count) {
    case 1:
      return Select<1, kKeep>(n, keep, tests, rows);
    case 2:
      return Select<2, kKeep>(n, keep, tests, rows);
    default:
      return Select<3, kKeep>(n, keep, tests, rows);
  }
}

}  // namespace

size_t SelectByEntries(int64_t n, const uint8_t* keep, const EntryTest* tests, int count, int32_t* rows) {
  return keep != nullptr ? SelectWith<true>(n, keep, tests, count, rows) : SelectWith<false>(n, keep, tests, count, rows);
}

}  // namespace sabot
