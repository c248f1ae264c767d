// Building and probing the hash join table with tight loops over raw buffers.
#include "sabot/ops/join_hash_table.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

namespace sabot {

namespace {

// Rows looked ahead when prefetching slots: enough to cover a cache miss, few enough to
// stay in L1.
constexpr int64_t kPrefetchDistance = 16;

inline uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

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

Result<std::shared_ptr<const JoinHashTable>> JoinHashTableBuilder::Finish(bool distinct_keys) {
  if (num_rows_ >= JoinHashTable::kNoRow) {
    return Status::CapacityError("hash join build side has ", num_rows_, " rows; at most ",
                                 JoinHashTable::kNoRow - 1, " are supported per table (partition the build)");
  }
  auto table = std::shared_ptr<JoinHashTable>(new JoinHashTable());
  table->num_rows_ = num_rows_;
  for (int c = 0; c < schema_->num_fields(); ++c) {
    if (batches_.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(schema_->field(c)->type()));
      table->columns_.push_back(std::move(empty));
    } else if (batches_.size() == 1) {
      table->columns_.push_back(batches_.front()->column(c));
    } else {
      arrow::ArrayVector chunks;
      for (const auto& b : batches_) chunks.push_back(b->column(c));
      ARROW_ASSIGN_OR_RAISE(auto combined, arrow::Concatenate(chunks));
      table->columns_.push_back(std::move(combined));
    }
  }
  batches_.clear();  // the concatenated columns hold the rows now

  std::vector<std::shared_ptr<arrow::Array>> key_columns;
  for (int k : key_indices_) key_columns.push_back(table->columns_[k]);
  ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(key_columns));
  table->keys_ = std::make_unique<JoinKeys>(std::move(keys));
  // One integer-like key: duplicates are dropped while inserting, by one compare with
  // the chain head; other keys are compared in bulk afterwards.
  const auto& key_cols = table->keys_->columns();
  const bool word_key = key_cols.size() == 1 && key_cols[0].layout() == JoinKeyColumn::Layout::kWord64;
  table->Insert(*table->keys_, distinct_keys && word_key);
  if (distinct_keys && !word_key) table->DropDuplicateKeys();
  return std::shared_ptr<const JoinHashTable>(std::move(table));
}

int64_t EstimateDistinctHashes(const uint64_t* hashes, int64_t n) {
  // HyperLogLog over the hashes already computed: 2^12 registers (about 1.6% standard
  // error), each the highest rank (leading zeros + 1) of the hashes routed to it.
  constexpr int kBits = 12;
  constexpr int64_t kRegisters = int64_t{1} << kBits;
  if (n <= kRegisters) return n;  // small: counting rows costs nothing
  std::vector<uint8_t> registers(kRegisters, 0);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t h = hashes[i];
    const uint64_t rest = (h << kBits) | (uint64_t{1} << (kBits - 1));  // never all zero
    const auto rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    uint8_t& r = registers[h >> (64 - kBits)];
    r = std::max(r, rank);
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

void JoinHashTable::Insert(const JoinKeys& keys, bool drop_duplicate_words) {
  const int64_t n = keys.num_rows();
  // Slots hold one chain per distinct hash, so they are sized by the distinct keys, not
  // the rows: a build with many rows per key (a foreign key, as TPC-H Q21's 6M lineitems
  // over 1.5M orders) would otherwise allocate and zero far more slots than it fills.
  // The estimate gets a margin of 1/4 on top of its error; should it still fall short,
  // the insert starts over sized by the rows, which always fit.
  const int64_t distinct = EstimateDistinctHashes(keys.hashes(), n);
  if (!TryInsert(keys, drop_duplicate_words, std::min(n, distinct + distinct / 4))) {
    (void)TryInsert(keys, drop_duplicate_words, n);  // slots for every row: cannot fall short
  }
}

bool JoinHashTable::TryInsert(const JoinKeys& keys, bool drop_duplicate_words, int64_t max_distinct) {
  const int64_t n = keys.num_rows();
  // Load factor at most 1/2 keeps linear probing sequences short.
  uint64_t capacity = 16;
  while (capacity < 2 * static_cast<uint64_t>(max_distinct)) capacity *= 2;
  slots_.assign(capacity, Slot{0, kNoRow});
  mask_ = capacity - 1;
  // Past 3/4 full the probing sequences grow long: the estimate was wrong.
  const uint64_t max_used = capacity / 4 * 3;
  uint64_t used = 0;
  next_.assign(n, kNoRow);
  const uint64_t* hashes = keys.hashes();
  const uint64_t* words = drop_duplicate_words ? keys.columns()[0].words() : nullptr;
  // Backwards, prepending to chains, so every chain lists its rows in build order.
  for (int64_t i = n - 1; i >= 0; --i) {
    if (i >= kPrefetchDistance) __builtin_prefetch(&slots_[hashes[i - kPrefetchDistance] & mask_]);
    if (!keys.valid(i)) continue;  // a null key never matches
    const uint32_t tag = Tag(hashes[i]);
    uint64_t s = hashes[i] & mask_;
    while (true) {
      Slot& slot = slots_[s];
      if (slot.row == kNoRow) {
        if (++used > max_used) return false;
        slot = Slot{tag, static_cast<uint32_t>(i)};
        break;
      }
      if (slot.tag == tag) {
        // The head is a later row with the same key: row i takes its place, so the
        // first row of each key is the one kept, and the head's chain stays.
        next_[i] = words != nullptr && words[i] == words[slot.row] ? next_[slot.row] : slot.row;
        slot.row = static_cast<uint32_t>(i);
        break;
      }
      s = (s + 1) & mask_;
    }
  }
  return true;
}

void JoinHashTable::DropDuplicateKeys() {
  // Compare every chain member with its head in bulk, then relink without the equal ones.
  // Members that differ from the head (a hash collision) stay, so nothing is lost.
  std::vector<uint32_t> heads, members;
  for (const Slot& slot : slots_) {
    if (slot.row == kNoRow) continue;
    for (uint32_t r = next_[slot.row]; r != kNoRow; r = next_[r]) {
      heads.push_back(slot.row);
      members.push_back(r);
    }
  }
  if (members.empty()) return;
  std::vector<uint8_t> equal(members.size(), 1);
  MatchJoinKeys(*keys_, heads.data(), *keys_, members.data(), static_cast<int64_t>(members.size()), equal.data());
  std::vector<uint8_t> drop(num_rows_, 0);
  for (size_t i = 0; i < members.size(); ++i) drop[members[i]] = equal[i];
  for (const Slot& slot : slots_) {
    if (slot.row == kNoRow) continue;
    uint32_t kept = slot.row;
    for (uint32_t r = next_[slot.row]; r != kNoRow; r = next_[r]) {
      if (drop[r]) continue;
      next_[kept] = r;
      kept = r;
    }
    next_[kept] = kNoRow;
  }
}

void JoinHashTable::FindChains(const JoinKeys& probe, int64_t begin, int64_t end, uint32_t* heads) const {
  const uint64_t* hashes = probe.hashes();
  const Slot* slots = slots_.data();
  // Single 64-bit keys are compared by Probe right after; fetch them with the links.
  const uint64_t* build_words = keys_->columns().size() == 1 &&
                                        keys_->columns()[0].layout() == JoinKeyColumn::Layout::kWord64
                                    ? keys_->columns()[0].words()
                                    : nullptr;
  for (int64_t i = begin; i < end; ++i) {
    if (i + kPrefetchDistance < end) __builtin_prefetch(&slots[hashes[i + kPrefetchDistance] & mask_]);
    uint32_t head = kNoRow;
    if (probe.valid(i)) {
      const uint32_t tag = Tag(hashes[i]);
      for (uint64_t s = hashes[i] & mask_;; s = (s + 1) & mask_) {
        const Slot& slot = slots[s];
        if (slot.row == kNoRow) break;
        if (slot.tag == tag) {
          head = slot.row;
          __builtin_prefetch(&next_[head]);
          if (build_words != nullptr) __builtin_prefetch(&build_words[head]);
          break;
        }
      }
    }
    heads[i] = head;
  }
}

bool JoinHashTable::Probe(const JoinKeys& probe, const uint32_t* heads, int64_t end_row, ProbeCursor* cursor,
                          JoinMatches* out) const {
  const int64_t n = end_row;
  const int64_t capacity = out->capacity();
  uint32_t* probe_rows = out->probe_rows.data();
  uint32_t* build_rows = out->build_rows.data();
  const uint32_t* next = next_.data();
  int64_t row = cursor->row;
  uint32_t b = cursor->next;

  // One integer-like key column, the common case: compare while walking the chains.
  const auto& columns = probe.columns();
  if (columns.size() == 1 && columns[0].layout() == JoinKeyColumn::Layout::kWord64) {
    const uint64_t* pw = columns[0].words();
    const uint64_t* bw = keys_->columns()[0].words();
    int64_t end = out->size;
    while (end < capacity && row < n) {
      if (b == kNoRow) {
        if (++row < n) b = heads[row];
        continue;
      }
      probe_rows[end] = static_cast<uint32_t>(row);
      build_rows[end] = b;
      end += static_cast<int64_t>(pw[row] == bw[b]);
      b = next[b];
    }
    out->size = end;
    *cursor = ProbeCursor{row, b};
    return row >= n;
  }

  // Otherwise: expand candidates in bulk, compare them column by column, compact.
  while (out->size < capacity && row < n) {
    const int64_t begin = out->size;
    int64_t end = begin;
    while (end < capacity && row < n) {
      if (b == kNoRow) {
        if (++row < n) b = heads[row];
        continue;
      }
      probe_rows[end] = static_cast<uint32_t>(row);
      build_rows[end] = b;
      ++end;
      b = next[b];
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
  *cursor = ProbeCursor{row, b};
  return row >= n;
}

}  // namespace sabot
