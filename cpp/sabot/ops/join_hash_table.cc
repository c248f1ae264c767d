// Building and probing the hash join table with tight loops over raw buffers.
#include "sabot/ops/join_hash_table.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <utility>

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/exec/task_pool.h"
#include "sabot/ops/concatenate_batches.h"

namespace sabot {

namespace {

// Rows looked ahead when prefetching slots: enough to cover a cache miss, few enough to
// stay in L1.
constexpr int64_t kPrefetchDistance = 16;

// Rows looked ahead when prefetching the key filter's words. The filter test is a few
// instructions a row, so 16 rows ahead is too close to cover a miss to L3 or memory:
// probing 8M random keys against 700K build keys (a 2 MiB filter) took 9.1-9.3 ns a row
// at 16, 6.5-7.5 at 64; against 10K keys (in L1) the same at both.
constexpr int64_t kFilterPrefetchDistance = 64;

// Probe rows FindChains runs through the key filter at a time (their ids wait on the stack).
constexpr int64_t kFilterBlockRows = 1024;

// Rows a worker takes at a time in the build's row-wise steps (distinct estimate, grouping
// by region): at least 64K (a fraction of a millisecond of work, so a worker that starts
// late does fewer), at most 8 chunks per worker (each chunk has its own counters).
int64_t BuildChunkRows(int64_t n, int workers) {
  const int64_t most_chunks = 8 * static_cast<int64_t>(std::max(1, workers));
  return std::max<int64_t>(int64_t{1} << 16, (n + most_chunks - 1) / most_chunks);
}

inline uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

// The words of the one kWord64 key column, or null for other keys.
const uint64_t* OneWordKey(const JoinKeys& keys) {
  const auto& columns = keys.columns();
  return columns.size() == 1 && columns[0].layout() == JoinKeyColumn::Layout::kWord64 ? columns[0].words() : nullptr;
}

}  // namespace

Status JoinHashTableBuilder::Append(const std::shared_ptr<arrow::RecordBatch>& batch) {
  SABOT_CHECK(batch->num_columns() == schema_->num_fields());
  if (batch->num_rows() == 0) return Status::OK();
  num_rows_ += batch->num_rows();
  batches_.push_back(batch);
  return Status::OK();
}

std::vector<std::shared_ptr<arrow::RecordBatch>> JoinHashTableBuilder::TakeBatches() {
  num_rows_ = 0;
  return std::exchange(batches_, {});
}

void JoinHashTableBuilder::Merge(JoinHashTableBuilder&& other) {
  num_rows_ += other.num_rows_;
  for (auto& b : other.batches_) batches_.push_back(std::move(b));
  other.batches_.clear();
  other.num_rows_ = 0;
}

Result<std::shared_ptr<const JoinHashTable>> JoinHashTableBuilder::Finish(bool distinct_keys, int threads) {
  if (num_rows_ >= JoinHashTable::kNoRow) {
    return Status::CapacityError("hash join build side has ", num_rows_, " rows; at most ",
                                 JoinHashTable::kNoRow - 1, " are supported per table (partition the build)");
  }
  // The probe waits for the table, and so do the threads of a parallel job: every step
  // of a large build runs on all of them, or it would be the serial part that caps the
  // job's speed-up.
  const int workers = threads > 1 && num_rows_ >= JoinHashTable::kParallelBuildRows ? threads : 1;
  auto table = std::shared_ptr<JoinHashTable>(new JoinHashTable());
  table->num_rows_ = num_rows_;
  ARROW_ASSIGN_OR_RAISE(table->columns_, ConcatenateColumns(workers));
  batches_.clear();  // the concatenated columns hold the rows now

  std::vector<std::shared_ptr<arrow::Array>> key_columns;
  for (int k : key_indices_) key_columns.push_back(table->columns_[k]);
  ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(key_columns, workers));
  table->keys_ = std::make_unique<JoinKeys>(std::move(keys));
  // One integer-like key: duplicates are dropped while inserting, by one compare with
  // the chain head; other keys are compared in bulk afterwards.
  const bool word_key = OneWordKey(*table->keys_) != nullptr;
  table->Insert(*table->keys_, distinct_keys && word_key, workers);
  if (distinct_keys && !word_key) table->DropDuplicateKeys();
  table->keys_->ReleaseHashes();  // the slots hold what probes need of them
  return std::shared_ptr<const JoinHashTable>(std::move(table));
}

Result<arrow::ArrayVector> JoinHashTableBuilder::ConcatenateColumns(int workers) const {
  return ConcatenateBatchColumns(*schema_, batches_, workers);
}

int64_t EstimateDistinctHashes(const uint64_t* hashes, int64_t n, int threads) {
  // HyperLogLog over the hashes already computed: 2^12 registers (about 1.6% standard
  // error), each the highest rank (leading zeros + 1) of the hashes routed to it. Each
  // chunk of hashes fills registers of its own; the register-wise maximum of those is
  // the registers of all the hashes.
  constexpr int kBits = 12;
  constexpr int64_t kRegisters = int64_t{1} << kBits;
  if (n <= kRegisters) return n;  // small: counting rows costs nothing
  const int64_t chunk_rows = BuildChunkRows(n, threads);
  const int64_t chunks = (n + chunk_rows - 1) / chunk_rows;
  std::vector<std::vector<uint8_t>> partial(chunks, std::vector<uint8_t>(kRegisters, 0));
  RunClaimedChunks(std::max(1, threads), n, chunk_rows, [&](int64_t chunk, int64_t begin, int64_t end) {
    uint8_t* registers = partial[chunk].data();
    for (int64_t i = begin; i < end; ++i) {
      const uint64_t h = hashes[i];
      const uint64_t rest = (h << kBits) | (uint64_t{1} << (kBits - 1));  // never all zero
      const auto rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
      uint8_t& r = registers[h >> (64 - kBits)];
      r = std::max(r, rank);
    }
  });
  std::vector<uint8_t>& registers = partial[0];
  for (int64_t c = 1; c < chunks; ++c) {
    for (int64_t j = 0; j < kRegisters; ++j) registers[j] = std::max(registers[j], partial[c][j]);
  }
  double sum = 0;
  int64_t zeros = 0;
  for (uint8_t r : registers) {
    sum += std::ldexp(1.0, -r);
    zeros += r == 0;
  }
  const double m = static_cast<double>(kRegisters);
  double estimate = 0.7213 / (1 + 1.079 / m) * m * m / sum;
  // Few distinct hashes: linear counting over the empty registers is the better estimate.
  if (estimate <= 2.5 * m && zeros > 0) estimate = m * std::log(m / static_cast<double>(zeros));
  return std::min<int64_t>(n, static_cast<int64_t>(estimate));
}

void JoinHashTable::Insert(const JoinKeys& keys, bool drop_duplicate_words, int threads) {
  const int64_t n = keys.num_rows();
  // Slots hold one chain per distinct hash, so they are sized by the distinct keys, not
  // the rows: a build with many rows per key (a foreign key, as TPC-H Q21's 6M lineitems
  // over 1.5M orders) would otherwise allocate and zero far more slots than it fills.
  // The estimate gets a margin of 1/4 on top of its error; should it still fall short,
  // the insert starts over sized by the rows, which always fit.
  const int64_t distinct = EstimateDistinctHashes(keys.hashes(), n, threads);
  filter_ = std::make_unique<JoinKeyFilter>(distinct);
  UninitTableVector<uint32_t> slot_of;
  std::vector<int64_t> kept;
  if (!TryInsert(keys, drop_duplicate_words, std::min(n, distinct + distinct / 4), threads, true, &slot_of, &kept) &&
      !TryInsert(keys, drop_duplicate_words, n, threads, true, &slot_of, &kept)) {
    // Slots for every row in one region cannot fall short; several regions only with a
    // freak spread of hashes over them.
    (void)TryInsert(keys, drop_duplicate_words, n, threads, /*regions_allowed=*/false, &slot_of, &kept);
  }
  LayOutChains(keys, slot_of, kept);
  rows_by_region_ = RowsByRegion{};  // done with: free it
}

JoinHashTable::RowsByRegion JoinHashTable::GroupRowsByRegion(const JoinKeys& keys, const uint64_t* words,
                                                             int64_t regions, int workers) const {
  // Counting sort by region over chunks of rows: each chunk counts its rows per region,
  // the counts are summed region-major (region 0's rows of every chunk first, chunk by
  // chunk), and each chunk then writes its rows at its offsets, so every group is in row
  // order.
  const int64_t n = keys.num_rows();
  const uint64_t* hashes = keys.hashes();
  const int64_t chunk_rows = BuildChunkRows(n, workers);
  const int64_t chunks = (n + chunk_rows - 1) / chunk_rows;
  std::vector<std::vector<int64_t>> at(chunks, std::vector<int64_t>(regions, 0));  // [chunk][region]
  RunClaimedChunks(workers, n, chunk_rows, [&](int64_t chunk, int64_t begin, int64_t end) {
    int64_t* count = at[chunk].data();
    for (int64_t i = begin; i < end; ++i) {
      if (keys.valid(i)) ++count[Region(hashes[i])];
    }
  });
  RowsByRegion out;
  out.begin.assign(regions + 1, 0);
  int64_t total = 0;
  for (int64_t r = 0; r < regions; ++r) {
    out.begin[r] = total;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) total += std::exchange(at[chunk][r], total);
  }
  out.begin[regions] = total;
  out.rows.resize(static_cast<size_t>(total));
  out.hashes.resize(static_cast<size_t>(total));
  if (words != nullptr) out.words.resize(static_cast<size_t>(total));
  RunClaimedChunks(workers, n, chunk_rows, [&](int64_t chunk, int64_t begin, int64_t end) {
    int64_t* next = at[chunk].data();
    uint32_t* rows = out.rows.data();
    uint64_t* row_hashes = out.hashes.data();
    uint64_t* row_words = out.words.data();
    for (int64_t i = begin; i < end; ++i) {
      if (!keys.valid(i)) continue;
      const int64_t j = next[Region(hashes[i])]++;
      rows[j] = static_cast<uint32_t>(i);
      row_hashes[j] = hashes[i];
      if (words != nullptr) row_words[j] = words[i];
    }
  });
  return out;
}

bool JoinHashTable::TryInsert(const JoinKeys& keys, bool drop_duplicate_words, int64_t max_distinct, int threads,
                              bool regions_allowed, UninitTableVector<uint32_t>* slot_of, std::vector<int64_t>* kept) {
  const int64_t n = keys.num_rows();
  // Load factor at most 1/2 keeps linear probing sequences short.
  uint64_t capacity = 16;
  while (capacity < 2 * static_cast<uint64_t>(max_distinct)) capacity *= 2;
  // A large build splits its slots into 64 regions by the top bits of the hash; probing
  // wraps inside a region. Its rows are grouped by region first, and then each region
  // is one task from start to end: clear its slots, insert its rows, lay out its chains
  // (LayOutChains). A region's slots are 1/64 of the table (256 KiB of 16 MiB for 780K
  // orders), small enough to stay in a core's cache for its task, and regions are
  // disjoint, so threads claim them without locks (RunClaimed) and always build the same
  // table, whichever thread took which region.
  const int region_bits = regions_allowed && n >= kParallelBuildRows && capacity >= 64 * 16 ? 6 : 0;
  const int64_t regions = int64_t{1} << region_bits;
  region_shift_ = 63 - region_bits;
  region_mask_ = (capacity >> region_bits) - 1;
  workers_ = region_bits > 0 ? threads : 1;
  slots_.resize(capacity + 1);  // + the sentinel
  slots_[capacity] = Slot{0, 0};
  if (region_bits == 0) {
    rows_by_region_ = RowsByRegion{};  // every row, nulls too, in row order
    rows_by_region_.begin = {0, n};
  } else if (static_cast<int64_t>(rows_by_region_.begin.size()) != regions + 1) {
    rows_by_region_ = GroupRowsByRegion(keys, OneWordKey(keys), regions, workers_);  // kept if the insert starts over
  }
  const RowsByRegion& groups = rows_by_region_;
  slot_of->resize(static_cast<size_t>(groups.begin[regions]));
  kept->assign(regions, 0);
  // Dropping duplicates compares with the word of each chain's first row, at the position
  // in the region's list that first_at holds (set when a slot is taken).
  const uint64_t* words = drop_duplicate_words ? groups.listed_words(OneWordKey(keys)) : nullptr;
  UninitTableVector<uint32_t> first_at(words != nullptr ? capacity : 0);
  std::atomic<bool> overflow{false};
  RunClaimed(workers_, regions, [&](int64_t r) {
    if (overflow.load(std::memory_order_relaxed)) return;
    const uint64_t region_size = region_mask_ + 1;
    std::fill(slots_.begin() + static_cast<int64_t>(r * region_size),
              slots_.begin() + static_cast<int64_t>((r + 1) * region_size), Slot{0, 0});
    // Past 3/4 of a region full the probing sequences grow long: the estimate was wrong.
    const uint64_t max_used = region_size / 4 * 3;
    uint64_t used = 0;
    int64_t rows_kept = 0;
    const bool listed = !groups.rows.empty();
    const uint64_t* hashes = groups.listed_hashes(keys);
    uint32_t* where = slot_of->data();
    const int64_t first = groups.begin[r], last = groups.begin[r + 1];
    for (int64_t j = first; j < last; ++j) {
      if (j + kPrefetchDistance < last) __builtin_prefetch(&slots_[Home(hashes[j + kPrefetchDistance])]);
      where[j] = kNoRow;
      if (!listed && !keys.valid(j)) continue;  // a null key never matches (and is not listed)
      const uint32_t tag = Tag(hashes[j]);
      uint64_t s = Home(hashes[j]);
      while (true) {
        Slot& slot = slots_[s];
        if (slot.begin == 0) {
          if (++used > max_used) {
            overflow = true;
            return;
          }
          slot = Slot{tag, 1};
          where[j] = static_cast<uint32_t>(s);
          if (words != nullptr) first_at[s] = static_cast<uint32_t>(j);
          ++rows_kept;
          break;
        }
        if (slot.tag == tag) {
          // A later row with the key of the chain's first row: that first row is the one kept.
          if (words == nullptr || words[j] != words[first_at[s]]) {
            ++slot.begin;
            where[j] = static_cast<uint32_t>(s);
            ++rows_kept;
          }
          break;
        }
        s = NextSlot(s);
      }
    }
    (*kept)[r] = rows_kept;
  });
  return !overflow;
}

void JoinHashTable::LayOutChains(const JoinKeys& keys, const UninitTableVector<uint32_t>& slot_of,
                                 const std::vector<int64_t>& kept) {
  // Each slot's start, then every row scattered to its chain's next position (rows in
  // build order, so each chain keeps build order). The scatter's writes are independent
  // of each other, unlike the dependent loads of walking a linked chain. The scatter
  // advances each slot's begin to its chain's end; shifting those by one slot gives the
  // starts back. A region's slots are contiguous, so its chains are one contiguous range
  // of rows_, and one task does every step of a region (see TryInsert).
  const uint64_t capacity = slots_.size() - 1;
  const uint64_t region_size = region_mask_ + 1;
  const auto regions = static_cast<int64_t>(kept.size());
  std::vector<uint32_t> region_start(regions + 1, 0);
  for (int64_t r = 0; r < regions; ++r) region_start[r + 1] = region_start[r] + static_cast<uint32_t>(kept[r]);
  rows_.resize(region_start[regions]);
  slots_[capacity].begin = region_start[regions];  // the sentinel
  // The keys in chain order: a probe compares them as it reads the chain, without a
  // dependent load of the build row's key (not prefetchable, a cache miss a match).
  const RowsByRegion& groups = rows_by_region_;
  const uint64_t* words = groups.listed_words(OneWordKey(keys));
  if (words != nullptr) chain_words_.resize(rows_.size());
  // The filter picks a key's word by the top bits of its hash, as the slots pick its
  // region: with a word or more per region, a region's rows set bits in words no other
  // region's do, so its task fills them without a lock. Rows split by range instead,
  // threads or-ed atomically into the same words: on 2 threads that took twice as long
  // as on one (780K orders, 9 ms vs 4.5).
  const bool filter_by_region = regions > 1 && filter_->word_bits() >= 63 - region_shift_;
  const uint64_t* hashes = groups.listed_hashes(keys);
  RunClaimed(workers_, regions, [&](int64_t r) {
    const uint64_t first_slot = static_cast<uint64_t>(r) * region_size;
    const uint64_t end_slot = first_slot + region_size;
    uint32_t position = region_start[r];
    for (uint64_t s = first_slot; s < end_slot; ++s) {
      const uint32_t length = slots_[s].begin;
      slots_[s].begin = position;
      position += length;
    }
    const uint32_t* list = groups.rows.empty() ? nullptr : groups.rows.data();
    const int64_t first = groups.begin[r], last = groups.begin[r + 1];
    for (int64_t j = first; j < last; ++j) {
      if (j + kPrefetchDistance < last) {
        const uint32_t ahead = slot_of[j + kPrefetchDistance];
        if (ahead != kNoRow) __builtin_prefetch(&slots_[ahead], 1);
      }
      const uint32_t s = slot_of[j];
      if (s == kNoRow) continue;
      const uint32_t at = slots_[s].begin++;
      rows_[at] = list != nullptr ? list[j] : static_cast<uint32_t>(j);
      if (words != nullptr) chain_words_[at] = words[j];
    }
    for (uint64_t s = end_slot - 1; s > first_slot; --s) slots_[s].begin = slots_[s - 1].begin;
    slots_[first_slot].begin = region_start[r];
    if (filter_by_region) {
      for (int64_t j = first; j < last; ++j) filter_->Insert(hashes[j]);  // null keys are not listed
    }
  });
  if (!filter_by_region) {
    const int64_t n = keys.num_rows();
    for (int64_t i = 0; i < n; ++i) {
      if (keys.valid(i)) filter_->Insert(keys.hashes()[i]);
    }
  }
}

void JoinHashTable::DropDuplicateKeys() {
  // Compare every chain member with its chain's first row in bulk, then keep the members
  // that differ (a hash collision), so nothing is lost; the chains close up in place.
  std::vector<uint32_t> firsts, members;
  const size_t num_slots = slots_.size() - 1;
  for (size_t s = 0; s < num_slots; ++s) {
    for (uint32_t j = slots_[s].begin + 1; j < slots_[s + 1].begin; ++j) {
      firsts.push_back(rows_[slots_[s].begin]);
      members.push_back(rows_[j]);
    }
  }
  if (members.empty()) return;
  std::vector<uint8_t> equal(members.size(), 1);
  MatchJoinKeys(*keys_, firsts.data(), *keys_, members.data(), static_cast<int64_t>(members.size()), equal.data());
  size_t m = 0;
  uint32_t kept = 0;
  uint32_t begin = slots_[0].begin;
  for (size_t s = 0; s < num_slots; ++s) {
    const uint32_t end = slots_[s + 1].begin;
    slots_[s].begin = kept;
    for (uint32_t j = begin; j < end; ++j) {
      if (j == begin || !equal[m++]) rows_[kept++] = rows_[j];
    }
    begin = end;
  }
  slots_[num_slots].begin = kept;
  rows_.resize(kept);
}

inline void JoinHashTable::FindChain(const JoinKeys& probe, int64_t i, uint32_t* heads, uint32_t* ends) const {
  const uint64_t hash = probe.hashes()[i];
  const Slot* slots = slots_.data();
  uint32_t first = 0, last = 0;
  if (probe.valid(i)) {
    const uint32_t tag = Tag(hash);
    for (uint64_t s = Home(hash);; s = NextSlot(s)) {
      const uint32_t chain_end = slots[s + 1].begin;
      if (slots[s].begin == chain_end) break;  // empty
      if (slots[s].tag == tag) {
        first = slots[s].begin;
        last = chain_end;
        __builtin_prefetch(&rows_[first]);
        if (!chain_words_.empty()) __builtin_prefetch(&chain_words_[first]);
        break;
      }
    }
  }
  heads[i] = first;
  ends[i] = last;
}

int64_t JoinHashTable::FindChains(const JoinKeys& probe, int64_t begin, int64_t end, uint32_t* heads,
                                  uint32_t* ends, bool use_filter) const {
  const uint64_t* hashes = probe.hashes();
  const Slot* slots = slots_.data();
  if (!use_filter) {
    for (int64_t i = begin; i < end; ++i) {
      if (i + kPrefetchDistance < end) __builtin_prefetch(&slots[Home(hashes[i + kPrefetchDistance])]);
      FindChain(probe, i, heads, ends);
    }
    return end - begin;
  }
  // The filter first, over a block of rows, without branches, then the slots for the
  // rows it kept only. Where most rows miss, the slots cost more than their cache misses:
  // whether a row's home slot is empty, holds its hash or another is as good as random,
  // a branch mispredicted about once a row (TPC-H Q8: 6M random part keys against 1.5K
  // parts).
  const JoinKeyFilter& filter = *filter_;
  int64_t passed = 0;
  uint32_t kept[kFilterBlockRows];
  for (int64_t block = begin; block < end; block += kFilterBlockRows) {
    const int64_t block_end = std::min(end, block + kFilterBlockRows);
    int64_t n = 0;
    for (int64_t i = block; i < block_end; ++i) {
      if (i + kFilterPrefetchDistance < end) filter.Prefetch(hashes[i + kFilterPrefetchDistance]);
      heads[i] = 0;
      ends[i] = 0;
      kept[n] = static_cast<uint32_t>(i);
      n += static_cast<int64_t>(filter.MayContain(hashes[i]));
    }
    for (int64_t k = 0; k < n; ++k) {
      if (k + kPrefetchDistance < n) __builtin_prefetch(&slots[Home(hashes[kept[k + kPrefetchDistance]])]);
      FindChain(probe, kept[k], heads, ends);
    }
    passed += n;
  }
  return passed;
}

bool JoinHashTable::Probe(const JoinKeys& probe, const uint32_t* heads, const uint32_t* ends, int64_t end_row,
                          ProbeCursor* cursor, JoinMatches* out) const {
  const int64_t n = end_row;
  const int64_t capacity = out->capacity();
  uint32_t* probe_rows = out->probe_rows.data();
  uint32_t* build_rows = out->build_rows.data();
  const uint32_t* rows = rows_.data();
  int64_t row = cursor->row;
  uint32_t j = cursor->next;
  uint32_t stop = row < n ? ends[row] : 0;

  // One integer-like key column, the common case: compare while reading the chains.
  if (const uint64_t* pw = OneWordKey(probe); pw != nullptr && !chain_words_.empty()) {
    const uint64_t* cw = chain_words_.data();
    int64_t end = out->size;
    while (end < capacity && row < n) {
      if (j >= stop) {
        if (++row < n) {
          j = heads[row];
          stop = ends[row];
        }
        continue;
      }
      probe_rows[end] = static_cast<uint32_t>(row);
      build_rows[end] = rows[j];
      end += static_cast<int64_t>(pw[row] == cw[j]);
      ++j;
    }
    out->size = end;
    *cursor = ProbeCursor{row, j};
    return row >= n;
  }

  // Otherwise: expand candidates in bulk, compare them column by column, compact.
  while (out->size < capacity && row < n) {
    const int64_t begin = out->size;
    int64_t end = begin;
    while (end < capacity && row < n) {
      if (j >= stop) {
        if (++row < n) {
          j = heads[row];
          stop = ends[row];
        }
        continue;
      }
      probe_rows[end] = static_cast<uint32_t>(row);
      build_rows[end] = rows[j];
      ++end;
      ++j;
    }
    uint8_t* match = out->scratch.data();
    std::fill(match, match + (end - begin), uint8_t{1});
    MatchJoinKeys(probe, probe_rows + begin, *keys_, build_rows + begin, end - begin, match);
    int64_t kept = begin;
    for (int64_t i = begin; i < end; ++i) {
      probe_rows[kept] = probe_rows[i];
      build_rows[kept] = build_rows[i];
      kept += match[i - begin];
    }
    out->size = kept;
  }
  *cursor = ProbeCursor{row, j};
  return row >= n;
}

}  // namespace sabot
