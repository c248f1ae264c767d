// The hash join's build side: build rows gathered per thread (JoinHashTableBuilder) and
// the finished, immutable table that probe batches look up in bulk (JoinHashTable).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/default_init_allocator.h"
#include "sabot/common/errors.h"
#include "sabot/common/table_memory.h"
#include "sabot/ops/join_key_filter.h"
#include "sabot/ops/join_keys.h"

namespace sabot {

class JoinHashTable;

//! About how many distinct values `hashes` holds (HyperLogLog; within a few percent).
//! The same estimate on any number of threads.
int64_t EstimateDistinctHashes(const uint64_t* hashes, int64_t n, int threads = 1);

//! Build rows gathered by one thread. Parallel builds: every thread appends the morsels
//! it reads to its own builder (no lock on the hot path); at the end of the build side
//! the builders are combined with Merge() and one Finish() makes the table. The table is
//! a pure function of the rows and their 64-bit key hashes, so a large build can instead
//! be partitioned: route rows by the top bits of their hash into P builders, Finish()
//! the P tables in parallel, and route each probe row by the same bits.
class JoinHashTableBuilder {
 public:
  JoinHashTableBuilder(std::shared_ptr<arrow::Schema> schema, std::vector<int> key_indices)
      : schema_(std::move(schema)), key_indices_(std::move(key_indices)) {}

  //! Keeps the batch (shared, not copied); `batch` has the builder's schema.
  Status Append(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Takes over the rows of another thread's builder (same schema and keys).
  void Merge(JoinHashTableBuilder&& other);
  int64_t num_rows() const { return num_rows_; }
  //! Gives up the rows gathered so far (a build that spills moves them to disk).
  std::vector<std::shared_ptr<arrow::RecordBatch>> TakeBatches();

  //! Concatenates the rows into one array per column, hashes the keys and builds the
  //! table. `distinct_keys` keeps only the first row of each key in the chains: semi and
  //! anti joins without a residual only ask whether a key exists, and duplicates would
  //! make every probe walk them. A build of JoinHashTable::kParallelBuildRows rows or
  //! more does each of these steps on `threads` threads.
  Result<std::shared_ptr<const JoinHashTable>> Finish(bool distinct_keys, int threads = 1);

 private:
  //! One array per column of the rows appended, concatenated on up to `workers` threads.
  Result<std::vector<std::shared_ptr<arrow::Array>>> ConcatenateColumns(int workers) const;

  std::shared_ptr<arrow::Schema> schema_;
  std::vector<int> key_indices_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches_;
  int64_t num_rows_ = 0;
};

//! (probe row, build row) pairs with equal keys, filled in bulk by JoinHashTable::Probe.
//! Fixed capacity, so the pairs of one flush fit one output batch.
struct JoinMatches {
  explicit JoinMatches(int64_t capacity) : probe_rows(capacity), build_rows(capacity), scratch(capacity) {}
  int64_t capacity() const { return static_cast<int64_t>(probe_rows.size()); }

  // Not zeroed: every probing join copy holds 64K-entry buffers of which a small query
  // touches a few (zeroing them was a tenth of tiny TPC-H queries' CPU).
  UninitVector<uint32_t> probe_rows, build_rows;  // the first `size` entries are valid
  UninitVector<uint8_t> scratch;                  // key comparison results
  int64_t size = 0;
};

//! Open addressing with linear probing over (hash tag, chain) slots. The build rows with
//! the same hash form a chain, stored contiguously: the table lists the build row ids
//! chain after chain (each chain in build order), and a slot holds its chain's range of
//! that list, with a copy of the key for single integer-like keys. A probe row then reads
//! its chain sequentially instead of hopping through the build rows one cache miss each
//! (TPC-H Q13 probes 150K customers into 1.5M orders, 15 a chain). Grouping by hash
//! rather than by key means the build never compares keys; the probe compares the actual
//! key values of every candidate, which also rejects the rare hash collision. Immutable
//! once built, so every probing thread shares it.
class JoinHashTable {
 public:
  static constexpr uint32_t kNoRow = 0xFFFFFFFFu;
  //! Builds with at least this many rows run in parallel when given threads. Below it a
  //! serial build takes about a millisecond, the cost of starting the workers.
  static constexpr int64_t kParallelBuildRows = 1 << 16;

  int64_t num_rows() const { return num_rows_; }
  //! Hash slots allocated: at least twice the distinct keys, far fewer than the rows
  //! when keys repeat.
  int64_t num_slots() const { return static_cast<int64_t>(slots_.size()); }
  //! The build rows, one concatenated array per column of the build schema.
  const std::vector<std::shared_ptr<arrow::Array>>& columns() const { return columns_; }
  const JoinKeys& keys() const { return *keys_; }
  //! Threads the insert and layout ran on (1: serial); for tests and stats.
  int build_workers() const { return workers_; }

  //! [heads[i], ends[i]) = the chain whose hash matches probe row i's, as positions in
  //! the table's list of build rows; empty for a row without one (or with a null key).
  //! For rows [begin, end). Call it for a few thousand rows at a time, then Probe them:
  //! it prefetches what Probe reads next. With `use_filter`, rows the table's key filter
  //! rules out get an empty chain without a look at the slots. Returns how many rows
  //! passed the filter (all of them without it), for a caller that turns the filter off
  //! where it rules out too few.
  int64_t FindChains(const JoinKeys& probe, int64_t begin, int64_t end, uint32_t* heads, uint32_t* ends,
                     bool use_filter = false) const;

  //! Where the expansion of a probe batch's chains stands.
  struct ProbeCursor {
    int64_t row = 0;
    uint32_t next = 0;  // the position in `row`'s chain to look at next
  };
  //! A cursor at the chain start of row `begin`.
  static ProbeCursor StartProbe(const uint32_t* heads, int64_t begin, int64_t end) {
    return ProbeCursor{begin, begin < end ? heads[begin] : 0};
  }

  //! Appends to `out` the pairs of equal keys, walking the chains from `cursor`, until
  //! `out` is full or every probe row before `end_row` is done (then returns true).
  //! Pairs come in probe row order, then build order.
  bool Probe(const JoinKeys& probe, const uint32_t* heads, const uint32_t* ends, int64_t end_row,
             ProbeCursor* cursor, JoinMatches* out) const;

 private:
  friend class JoinHashTableBuilder;
  //! While inserting: `begin` counts the chain's rows (0: empty). Once built: the chain's
  //! positions in rows_ are [begin, the next slot's begin); equal begins mean empty. The
  //! chains lie in rows_ in slot order, and slots_ ends with a sentinel slot.
  struct Slot {
    uint32_t tag;  // high half of the hash; the low bits chose the slot
    uint32_t begin;
  };

  //! With `drop_duplicate_words` (one kWord64 key column), a row whose key equals its
  //! chain's first row's is left out. Also makes the key filter. Large builds work region
  //! by region on `threads` threads (see TryInsert in the .cc).
  void Insert(const JoinKeys& keys, bool drop_duplicate_words, int threads);
  //! A build's rows grouped by the region of their hash, each group in row order: region
  //! r's rows are rows[begin[r], begin[r + 1]), null keys left out, with their hashes
  //! (and words, for one kWord64 key column) beside them in the same order, so a
  //! region's task reads them in sequence, not scattered over the whole build. With one
  //! region, `rows`, `hashes` and `words` are empty and stand for every row (nulls too)
  //! in order.
  struct RowsByRegion {
    // Every entry written by GroupRowsByRegion.
    UninitTableVector<uint32_t> rows;
    UninitTableVector<uint64_t> hashes;
    UninitTableVector<uint64_t> words;  // empty without `words`
    std::vector<int64_t> begin;
    //! The hashes of the listed rows in list order: with one region, the keys' own.
    const uint64_t* listed_hashes(const JoinKeys& keys) const { return rows.empty() ? keys.hashes() : hashes.data(); }
    //! Likewise their words, given the key column's (null: not one kWord64 key column).
    const uint64_t* listed_words(const uint64_t* key_words) const {
      return rows.empty() || key_words == nullptr ? key_words : words.data();
    }
  };
  RowsByRegion GroupRowsByRegion(const JoinKeys& keys, const uint64_t* words, int64_t regions, int workers) const;
  //! Insert with slots for at most `max_distinct` distinct hashes, in 64 regions if
  //! `regions_allowed` and the build is large; false (the table half built) when more
  //! turned up. `slot_of`: the slot of each row as rows_by_region_ lists them, kNoRow
  //! when left out; `kept`: the rows inserted per region.
  bool TryInsert(const JoinKeys& keys, bool drop_duplicate_words, int64_t max_distinct, int threads,
                 bool regions_allowed, UninitTableVector<uint32_t>* slot_of, std::vector<int64_t>* kept);
  //! The slots form 2^k regions (k = 0 for a small build), picked by the hash's top
  //! bits; a hash's first slot is in its region, and probing wraps inside the region.
  uint64_t Region(uint64_t hash) const { return (hash >> 1) >> region_shift_; }
  uint64_t Home(uint64_t hash) const { return Region(hash) * (region_mask_ + 1) | (hash & region_mask_); }
  uint64_t NextSlot(uint64_t s) const { return (s & ~region_mask_) | ((s + 1) & region_mask_); }
  //! Lays the chains out one after the other in rows_ (and chain_words_) and fills the
  //! key filter, a region at a time on the threads the insert ran on.
  void LayOutChains(const JoinKeys& keys, const UninitTableVector<uint32_t>& slot_of, const std::vector<int64_t>& kept);
  //! Leaves out of each chain the rows whose key equals its first row's.
  void DropDuplicateKeys();
  //! Looks up probe row i's chain (FindChains without the filter, for one row).
  void FindChain(const JoinKeys& probe, int64_t i, uint32_t* heads, uint32_t* ends) const;

  int64_t num_rows_ = 0;
  std::vector<std::shared_ptr<arrow::Array>> columns_;
  std::unique_ptr<JoinKeys> keys_;
  UninitTableVector<Slot> slots_;  // zeroed region by region, as the insert gets to each
  int region_shift_ = 63;     // 63 - region bits: (hash >> 1) >> 63 is 0, one region
  uint64_t region_mask_ = 0;  // slots per region - 1
  UninitTableVector<uint32_t> rows_;          // build row ids, chain after chain
  int workers_ = 1;                      // threads the last TryInsert ran on
  RowsByRegion rows_by_region_;          // while building: the last TryInsert's groups
  std::unique_ptr<JoinKeyFilter> filter_;  // the keys of the rows, built with the slots
  UninitTableVector<uint64_t> chain_words_;   // one kWord64 key column: each rows_ entry's key
};

}  // namespace sabot
