// DictKeyGrouper: per-key value ids (a KeyDomain per key column), combined by mixed
// radix into one code per row, codes mapped to dense group ids.
#include "sabot/ops/dict_key_grouper.h"

#include "sabot/ops/mapping_grouper.h"

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <arrow/api.h>
#include <arrow/array/concatenate.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

namespace sabot {

namespace cp = arrow::compute;

namespace {

constexpr uint32_t kEmpty = MappingGrouper::kNoGroup;

// Codes below 2^16 map through a direct array (256 KiB at most); once the product of
// the keys' domains passes that, codes go through a hash table of value-id tuples. The
// groups keep their ids either way: they are stored as tuples, not as codes.
constexpr int kMaxDirectBits = 16;

Status Bug(std::string_view what) { return Status::Invalid("internal error (a bug in sabot): DictKeyGrouper ", what); }

bool IsSmallIntegerLike(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::UINT8:
    case arrow::Type::INT16:
    case arrow::Type::UINT16:
      return true;
    default:
      return false;
  }
}

// Dictionary value types whose values compare as bytes (as Arrow's Grouper compares them).
bool IsMemoValueType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::BOOL:
    case arrow::Type::FIXED_SIZE_BINARY:
      return true;
    default:
      return (arrow::is_primitive(type.id()) || arrow::is_decimal(type.id())) && type.byte_width() > 0;
  }
}

// The bytes of one dictionary entry: the memo's key.
class ValueBytes {
 public:
  explicit ValueBytes(const arrow::DataType& type) : id_(type.id()) {
    if (id_ != arrow::Type::BOOL && type.byte_width() > 0) width_ = type.byte_width();
  }

  std::string_view At(const arrow::ArraySpan& values, int64_t j) {
    const int64_t i = values.offset + j;
    switch (id_) {
      case arrow::Type::STRING:
      case arrow::Type::BINARY: {
        const auto* offsets = reinterpret_cast<const int32_t*>(values.buffers[1].data);
        return {reinterpret_cast<const char*>(values.buffers[2].data) + offsets[i],
                static_cast<size_t>(offsets[i + 1] - offsets[i])};
      }
      case arrow::Type::LARGE_STRING:
      case arrow::Type::LARGE_BINARY: {
        const auto* offsets = reinterpret_cast<const int64_t*>(values.buffers[1].data);
        return {reinterpret_cast<const char*>(values.buffers[2].data) + offsets[i],
                static_cast<size_t>(offsets[i + 1] - offsets[i])};
      }
      case arrow::Type::BOOL:
        bit_ = arrow::bit_util::GetBit(values.buffers[1].data, i) ? 1 : 0;
        return {&bit_, 1};
      default:
        return {reinterpret_cast<const char*>(values.buffers[1].data) + i * width_, static_cast<size_t>(width_)};
    }
  }

 private:
  arrow::Type::type id_;
  int64_t width_ = 0;
  char bit_ = 0;
};

struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view bytes) const { return std::hash<std::string_view>{}(bytes); }
};

// The number of rows of [offset, offset + length) of `column` that are null.
int64_t NullsIn(const arrow::ArraySpan& column, int64_t offset, int64_t length) {
  if (column.buffers[0].data == nullptr || column.null_count == 0) return 0;
  return length - arrow::internal::CountSetBits(column.buffers[0].data, column.offset + offset, length);
}

//! One key column's values and their ids, stable for the grouper's life. The null
//! (when seen) has an id of its own.
class KeyDomain {
 public:
  virtual ~KeyDomain() = default;
  //! Each row's value id; kEmpty where the value is new and `insert` is false.
  virtual Status Map(const arrow::ArraySpan& column, int64_t offset, int64_t length, bool insert,
                     uint32_t* ids) = 0;
  //! The key column of the output type, one row per entry of `value_ids`.
  virtual Result<std::shared_ptr<arrow::ArrayData>> Values(const std::vector<uint32_t>& value_ids) = 0;
  virtual void Reset() = 0;
  //! Value ids handed out, the null's included.
  uint32_t size() const { return size_; }

 protected:
  uint32_t NullId(bool insert) {
    if (null_id_ == kEmpty && insert) null_id_ = size_++;
    return null_id_;
  }
  void ResetIds() {
    size_ = 0;
    null_id_ = kEmpty;
  }

  uint32_t size_ = 0;
  uint32_t null_id_ = kEmpty;
};

//! A dictionary-encoded key: each batch's dictionary entries are looked up in a memo of
//! the values seen (once per dictionary; the batches of a Parquet row group share theirs),
//! then each row's id is its entry's.
class DictionaryDomain final : public KeyDomain {
 public:
  DictionaryDomain(std::shared_ptr<arrow::DataType> type, bool decode)
      : type_(std::move(type)),
        value_type_(static_cast<const arrow::DictionaryType&>(*type_).value_type()),
        decode_(decode),
        bytes_(*value_type_) {}

  Status Map(const arrow::ArraySpan& column, int64_t offset, int64_t length, bool insert,
             uint32_t* ids) override {
    if (column.type->id() == arrow::Type::DICTIONARY) return MapDictionary(column, offset, length, insert, ids);
    if (!decode_ || !column.type->Equals(*value_type_)) {
      return Bug("got " + column.type->ToString() + " for a key of " + type_->ToString());
    }
    // Plain values (the uniques of another state being merged): encoded, then as any batch.
    ARROW_ASSIGN_OR_RAISE(arrow::Datum encoded, cp::DictionaryEncode(column.ToArray()->Slice(offset, length)));
    return MapDictionary(arrow::ArraySpan(*encoded.array()), 0, length, insert, ids);
  }

  Result<std::shared_ptr<arrow::ArrayData>> Values(const std::vector<uint32_t>& value_ids) override {
    if (values_ == nullptr) {
      if (chunks_.empty()) {
        ARROW_ASSIGN_OR_RAISE(values_, arrow::MakeEmptyArray(value_type_));
      } else {
        ARROW_ASSIGN_OR_RAISE(values_, arrow::Concatenate(chunks_));
      }
      chunks_ = {values_};
    }
    // Values are stored in id order, without the null: value id v is at v, less one past the null.
    arrow::Int32Builder positions;
    ARROW_RETURN_NOT_OK(positions.Reserve(static_cast<int64_t>(value_ids.size())));
    for (uint32_t v : value_ids) {
      if (v == null_id_) {
        positions.UnsafeAppendNull();
      } else {
        positions.UnsafeAppend(static_cast<int32_t>(v - (null_id_ != kEmpty && v > null_id_ ? 1 : 0)));
      }
    }
    ARROW_ASSIGN_OR_RAISE(auto indices, positions.Finish());
    if (decode_) {
      ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(values_, indices));
      return taken.array();
    }
    const auto& index_type = static_cast<const arrow::DictionaryType&>(*type_).index_type();
    if (!index_type->Equals(*indices->type())) {
      // Fails (rather than wraps) when the batches' dictionaries together hold more
      // values than the index type counts.
      ARROW_ASSIGN_OR_RAISE(arrow::Datum cast, cp::Cast(indices, index_type));
      indices = cast.make_array();
    }
    ARROW_ASSIGN_OR_RAISE(auto dictionary, arrow::DictionaryArray::FromArrays(type_, indices, values_));
    return dictionary->data();
  }

  void Reset() override {
    ResetIds();
    memo_.clear();
    chunks_.clear();
    values_.reset();
    cached_.clear();
    entry_ids_.clear();
  }

 private:
  Status MapDictionary(const arrow::ArraySpan& column, int64_t offset, int64_t length, bool insert,
                       uint32_t* ids) {
    ARROW_RETURN_NOT_OK(MapEntries(column.dictionary(), insert));
    const bool has_nulls = NullsIn(column, offset, length) > 0;
    const uint32_t null_id = has_nulls ? NullId(insert) : kEmpty;  // kEmpty also when looked up and absent
    switch (column.type->storage_id() == arrow::Type::DICTIONARY
                ? static_cast<const arrow::DictionaryType&>(*column.type).index_type()->id()
                : arrow::Type::NA) {
      case arrow::Type::INT8: return MapRows<int8_t>(column, offset, length, has_nulls, null_id, ids);
      case arrow::Type::UINT8: return MapRows<uint8_t>(column, offset, length, has_nulls, null_id, ids);
      case arrow::Type::INT16: return MapRows<int16_t>(column, offset, length, has_nulls, null_id, ids);
      case arrow::Type::UINT16: return MapRows<uint16_t>(column, offset, length, has_nulls, null_id, ids);
      case arrow::Type::INT32: return MapRows<int32_t>(column, offset, length, has_nulls, null_id, ids);
      case arrow::Type::UINT32: return MapRows<uint32_t>(column, offset, length, has_nulls, null_id, ids);
      case arrow::Type::INT64: return MapRows<int64_t>(column, offset, length, has_nulls, null_id, ids);
      case arrow::Type::UINT64: return MapRows<uint64_t>(column, offset, length, has_nulls, null_id, ids);
      default: return Bug("cannot read the indices of " + column.type->ToString());
    }
  }

  // Row i's id is its entry's; bounds are checked (the indices may come from a file).
  template <typename Index>
  Status MapRows(const arrow::ArraySpan& column, int64_t offset, int64_t length, bool has_nulls, uint32_t null_id,
                 uint32_t* ids) const {
    const Index* indices = column.GetValues<Index>(1) + offset;
    const uint64_t entries = entry_ids_.size();
    const uint32_t* entry_ids = entry_ids_.data();
    bool out_of_range = false;
    if (!has_nulls) {
      if (entries == 0) return length == 0 ? Status::OK() : Status::Invalid("dictionary index out of range");
      // Branch-free: an index out of range reads the last entry and fails the batch.
      for (int64_t i = 0; i < length; ++i) {
        const auto index = static_cast<uint64_t>(indices[i]);
        out_of_range |= index >= entries;
        ids[i] = entry_ids[std::min(index, entries - 1)];
      }
    } else {
      const uint8_t* validity = column.buffers[0].data;
      const int64_t base = column.offset + offset;
      for (int64_t i = 0; i < length; ++i) {
        if (!arrow::bit_util::GetBit(validity, base + i)) {
          ids[i] = null_id;
          continue;
        }
        const auto index = static_cast<uint64_t>(indices[i]);
        out_of_range |= index >= entries;
        ids[i] = index < entries ? entry_ids[index] : 0;
      }
    }
    if (out_of_range) {
      return Status::Invalid("dictionary index out of range (the dictionary has ", entries, " entries)");
    }
    return Status::OK();
  }

  // Whether `dictionary` is the one the entry ids were last computed for: the cache holds
  // its buffers, so equal addresses are the same, unchanged data.
  bool IsCached(const arrow::ArraySpan& dictionary) const {
    if (cached_.empty() || dictionary.offset != cached_offset_ || dictionary.length != cached_length_) return false;
    for (int b = 0; b < 3; ++b) {
      const uint8_t* data = b < static_cast<int>(cached_.size()) && cached_[b] ? cached_[b]->data() : nullptr;
      if (dictionary.buffers[b].data != data) return false;
    }
    return true;
  }

  void Cache(const arrow::ArraySpan& dictionary) {
    cached_.clear();
    for (int b = 0; b < 3; ++b) {
      const auto& buffer = dictionary.buffers[b];
      if (buffer.data != nullptr && buffer.owner == nullptr) {  // not ours to hold: no cache
        cached_.clear();
        return;
      }
      cached_.push_back(buffer.data != nullptr ? *buffer.owner : nullptr);
    }
    cached_offset_ = dictionary.offset;
    cached_length_ = dictionary.length;
  }

  Status MapEntries(const arrow::ArraySpan& dictionary, bool insert) {
    if (insert && IsCached(dictionary)) return Status::OK();
    cached_.clear();
    const int64_t n = dictionary.length;
    entry_ids_.resize(static_cast<size_t>(n));
    std::vector<int64_t> fresh;  // entries new to the memo, in id order
    const uint8_t* validity = dictionary.null_count != 0 ? dictionary.buffers[0].data : nullptr;
    for (int64_t j = 0; j < n; ++j) {
      if (validity != nullptr && !arrow::bit_util::GetBit(validity, dictionary.offset + j)) {
        entry_ids_[j] = NullId(insert);
        continue;
      }
      const std::string_view bytes = bytes_.At(dictionary, j);
      if (auto it = memo_.find(bytes); it != memo_.end()) {
        entry_ids_[j] = it->second;
      } else if (!insert) {
        entry_ids_[j] = kEmpty;
      } else {
        entry_ids_[j] = size_++;
        memo_.emplace(std::string(bytes), entry_ids_[j]);
        fresh.push_back(j);
      }
    }
    if (!fresh.empty()) {
      arrow::Int64Array positions(static_cast<int64_t>(fresh.size()), arrow::Buffer::Wrap(fresh));
      ARROW_ASSIGN_OR_RAISE(arrow::Datum values, cp::Take(dictionary.ToArray(), positions));
      chunks_.push_back(values.make_array());
      values_.reset();
    }
    if (insert) Cache(dictionary);
    return Status::OK();
  }

  std::shared_ptr<arrow::DataType> type_;
  std::shared_ptr<arrow::DataType> value_type_;
  bool decode_;
  ValueBytes bytes_;
  std::unordered_map<std::string, uint32_t, BytesHash, std::equal_to<>> memo_;
  arrow::ArrayVector chunks_;               // the memo's values in id order, the null left out
  std::shared_ptr<arrow::Array> values_;    // chunks_ concatenated, when asked for
  std::vector<uint32_t> entry_ids_;         // of the last dictionary's entries
  std::vector<std::shared_ptr<arrow::Buffer>> cached_;  // that dictionary's buffers
  int64_t cached_offset_ = 0;
  int64_t cached_length_ = 0;
};

//! A boolean or 8/16-bit integer key: a direct table from the value's bits to its id.
class SmallIntegerDomain final : public KeyDomain {
 public:
  explicit SmallIntegerDomain(std::shared_ptr<arrow::DataType> type)
      : type_(std::move(type)), width_(type_->id() == arrow::Type::BOOL ? 0 : type_->byte_width()) {
    Reset();
  }

  Status Map(const arrow::ArraySpan& column, int64_t offset, int64_t length, bool insert,
             uint32_t* ids) override {
    if (!column.type->Equals(*type_)) return Bug("got " + column.type->ToString() + " for a key of " + type_->ToString());
    const bool has_nulls = NullsIn(column, offset, length) > 0;
    const uint32_t null_id = has_nulls ? NullId(insert) : kEmpty;
    const uint8_t* validity = has_nulls ? column.buffers[0].data : nullptr;
    const uint8_t* data = column.buffers[1].data;
    const int64_t base = column.offset + offset;
    for (int64_t i = 0; i < length; ++i) {
      if (validity != nullptr && !arrow::bit_util::GetBit(validity, base + i)) {
        ids[i] = null_id;
        continue;
      }
      const uint32_t bits = Bits(data, base + i);
      uint32_t id = table_[bits];
      if (id == kEmpty && insert) {
        id = size_++;
        table_[bits] = id;
        bits_by_id_.resize(size_);
        bits_by_id_[id] = static_cast<uint16_t>(bits);
      }
      ids[i] = id;
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::ArrayData>> Values(const std::vector<uint32_t>& value_ids) override {
    const auto n = static_cast<int64_t>(value_ids.size());
    std::shared_ptr<arrow::Buffer> validity;
    int64_t null_count = 0;
    ARROW_ASSIGN_OR_RAISE(auto values, width_ == 0 ? arrow::AllocateBitmap(n) : arrow::AllocateBuffer(n * width_));
    uint8_t* out = values->mutable_data();
    for (int64_t g = 0; g < n; ++g) {
      const uint32_t v = value_ids[g];
      const uint16_t bits = v == null_id_ ? 0 : bits_by_id_[v];
      if (width_ == 0) {
        arrow::bit_util::SetBitTo(out, g, bits != 0);
      } else if (width_ == 1) {
        out[g] = static_cast<uint8_t>(bits);
      } else {
        reinterpret_cast<uint16_t*>(out)[g] = bits;
      }
      if (v == null_id_) {
        if (validity == nullptr) {
          ARROW_ASSIGN_OR_RAISE(validity, arrow::AllocateBitmap(n));
          arrow::bit_util::SetBitsTo(validity->mutable_data(), 0, n, true);
        }
        arrow::bit_util::ClearBit(validity->mutable_data(), g);
        ++null_count;
      }
    }
    return arrow::ArrayData::Make(type_, n, {std::move(validity), std::move(values)}, null_count);
  }

  void Reset() override {
    ResetIds();
    table_.assign(width_ == 0 ? 2 : size_t{1} << (8 * width_), kEmpty);
    bits_by_id_.clear();
  }

 private:
  uint32_t Bits(const uint8_t* data, int64_t i) const {
    switch (width_) {
      case 0: return arrow::bit_util::GetBit(data, i) ? 1 : 0;
      case 1: return data[i];
      default: return reinterpret_cast<const uint16_t*>(data)[i];
    }
  }

  std::shared_ptr<arrow::DataType> type_;
  int width_;                       // bytes per value; 0 for bit-packed booleans
  std::vector<uint32_t> table_;     // value bits -> value id
  std::vector<uint16_t> bits_by_id_;
};

class DictKeyGrouper final : public MappingGrouper {
 public:
  DictKeyGrouper(const std::vector<std::shared_ptr<arrow::DataType>>& key_types, bool decode) {
    for (const auto& type : key_types) {
      if (type->id() == arrow::Type::DICTIONARY) {
        domains_.push_back(std::make_unique<DictionaryDomain>(type, decode));
      } else {
        domains_.push_back(std::make_unique<SmallIntegerDomain>(type));
      }
    }
    row_ids_.resize(domains_.size());
    tuple_.resize(domains_.size());
    ResetGroups();
  }

  Status Reset() override {
    for (auto& domain : domains_) domain->Reset();
    ResetGroups();
    return Status::OK();
  }

  Result<cp::ExecBatch> GetUniques() override {
    const size_t keys = domains_.size();
    std::vector<arrow::Datum> columns;
    std::vector<uint32_t> value_ids(num_groups_);
    for (size_t k = 0; k < keys; ++k) {
      for (uint32_t g = 0; g < num_groups_; ++g) value_ids[g] = group_values_[g * keys + k];
      ARROW_ASSIGN_OR_RAISE(auto column, domains_[k]->Values(value_ids));
      columns.emplace_back(std::move(column));
    }
    return cp::ExecBatch(std::move(columns), num_groups_);
  }

  uint32_t num_groups() const override { return num_groups_; }

 private:
  void ResetGroups() {
    bits_.assign(domains_.size(), 0);
    direct_.assign(1, kEmpty);
    slots_.clear();
    group_values_.clear();
    num_groups_ = 0;
  }

  Result<arrow::Datum> Map(const cp::ExecSpan& batch, int64_t offset, int64_t length, bool insert) override {
    if (batch.num_values() != static_cast<int>(domains_.size())) return Bug("got the wrong number of keys");
    for (int k = 0; k < batch.num_values(); ++k) {
      if (!batch[k].is_array()) return Bug("takes key arrays");
    }
    if (length < 0) length = batch.length - offset;
    for (size_t k = 0; k < domains_.size(); ++k) {
      row_ids_[k].resize(static_cast<size_t>(length));
      ARROW_RETURN_NOT_OK(domains_[k]->Map(batch[static_cast<int>(k)].array, offset, length, insert,
                                           row_ids_[k].data()));
    }
    if (insert) Fit();
    ARROW_ASSIGN_OR_RAISE(auto out, arrow::AllocateBuffer(length * sizeof(uint32_t)));
    auto* ids = reinterpret_cast<uint32_t*>(out->mutable_data());
    if (insert && slots_.empty()) {
      ConsumeDirect(length, ids);
    } else {
      for (int64_t i = 0; i < length; ++i) ids[i] = FindRow(i, insert);
    }
    return GroupIds(std::move(out), length);
  }

  // The hot path: every key's value ids are in range, so codes index the direct array.
  void ConsumeDirect(int64_t length, uint32_t* ids) {
    const uint32_t* codes = row_ids_[0].data();
    if (domains_.size() > 1) {
      codes_.assign(row_ids_[0].begin(), row_ids_[0].end());
      int shift = bits_[0];
      for (size_t k = 1; k < domains_.size(); ++k) {
        const uint32_t* key_ids = row_ids_[k].data();
        for (int64_t i = 0; i < length; ++i) codes_[i] |= key_ids[i] << shift;
        shift += bits_[k];
      }
      codes = codes_.data();
    }
    uint32_t* direct = direct_.data();
    for (int64_t i = 0; i < length; ++i) {
      uint32_t group = direct[codes[i]];
      if (group == kEmpty) {
        group = NewGroup(i);
        direct[codes[i]] = group;
      }
      ids[i] = group;
    }
  }

  uint32_t NewGroup(int64_t row) {
    for (const auto& key_ids : row_ids_) group_values_.push_back(key_ids[row]);
    return num_groups_++;
  }

  // Row `row`'s group, made when new and `insert`; kEmpty otherwise.
  uint32_t FindRow(int64_t row, bool insert) {
    for (size_t k = 0; k < domains_.size(); ++k) {
      tuple_[k] = row_ids_[k][row];
      if (tuple_[k] == kEmpty) return kEmpty;  // a value never seen: Lookup only
    }
    if (slots_.empty()) {
      const uint32_t code = Code(tuple_.data());
      if (direct_[code] == kEmpty && insert) direct_[code] = NewGroup(row);
      return direct_[code];
    }
    size_t slot = Hash(tuple_.data()) >> slot_shift_;
    for (;; slot = (slot + 1) & (slots_.size() - 1)) {
      const uint32_t group = slots_[slot];
      if (group == kEmpty) break;
      if (std::equal(tuple_.begin(), tuple_.end(), group_values_.begin() + group * domains_.size())) return group;
    }
    if (!insert) return kEmpty;
    const uint32_t group = NewGroup(row);
    slots_[slot] = group;
    if (static_cast<size_t>(num_groups_) * 2 > slots_.size()) Rehash(slots_.size() * 2);
    return group;
  }

  uint32_t Code(const uint32_t* tuple) const {
    uint32_t code = 0;
    int shift = 0;
    for (size_t k = 0; k < domains_.size(); ++k) {
      code |= tuple[k] << shift;
      shift += bits_[k];
    }
    return code;
  }

  uint64_t Hash(const uint32_t* tuple) const {
    uint64_t h = 0;
    for (size_t k = 0; k < domains_.size(); ++k) h = (h ^ tuple[k]) * 0x9E3779B97F4A7C15ULL;
    return h;
  }

  // Widens the keys' radices to their domains after new values came: the direct array
  // is rebuilt from the groups' tuples, or, past kMaxDirectBits, replaced by the hash table.
  void Fit() {
    if (!slots_.empty()) return;
    bool grew = false;
    int total = 0;
    for (size_t k = 0; k < domains_.size(); ++k) {
      const uint32_t size = domains_[k]->size();
      const int need = size <= 1 ? 0 : arrow::bit_util::Log2(size);
      if (need > bits_[k]) {
        bits_[k] = need;
        grew = true;
      }
      total += bits_[k];
    }
    if (!grew) return;
    if (total > kMaxDirectBits) {
      direct_ = {};
      Rehash(std::max<size_t>(1024, arrow::bit_util::NextPower2(static_cast<int64_t>(num_groups_) * 4)));
      return;
    }
    direct_.assign(size_t{1} << total, kEmpty);
    for (uint32_t g = 0; g < num_groups_; ++g) direct_[Code(&group_values_[g * domains_.size()])] = g;
  }

  void Rehash(size_t capacity) {
    slots_.assign(capacity, kEmpty);
    slot_shift_ = 64 - arrow::bit_util::Log2(capacity);
    for (uint32_t g = 0; g < num_groups_; ++g) {
      size_t slot = Hash(&group_values_[g * domains_.size()]) >> slot_shift_;
      while (slots_[slot] != kEmpty) slot = (slot + 1) & (capacity - 1);
      slots_[slot] = g;
    }
  }

  std::vector<std::unique_ptr<KeyDomain>> domains_;
  std::vector<std::vector<uint32_t>> row_ids_;  // per key, the batch's value ids
  std::vector<uint32_t> codes_;                 // the batch's combined codes
  std::vector<uint32_t> tuple_;
  std::vector<int> bits_;                       // per key, its radix's bits
  std::vector<uint32_t> direct_;                // code -> group; empty once hashed
  std::vector<uint32_t> slots_;                 // the hash table's groups; empty while direct
  int slot_shift_ = 54;
  std::vector<uint32_t> group_values_;          // per group, its keys' value ids
  uint32_t num_groups_ = 0;
};

}  // namespace

bool IsDictKeyGroupable(const std::vector<std::shared_ptr<arrow::DataType>>& key_types) {
  if (key_types.empty()) return false;
  for (const auto& type : key_types) {
    if (type->id() == arrow::Type::DICTIONARY) {
      if (!IsMemoValueType(*static_cast<const arrow::DictionaryType&>(*type).value_type())) return false;
    } else if (!IsSmallIntegerLike(*type)) {
      return false;
    }
  }
  return true;
}

Result<std::unique_ptr<cp::Grouper>> MakeDictKeyGrouper(std::vector<std::shared_ptr<arrow::DataType>> key_types,
                                                        bool decode_dictionaries) {
  if (!IsDictKeyGroupable(key_types)) return Bug("cannot group these key types");
  return std::make_unique<DictKeyGrouper>(key_types, decode_dictionaries);
}

}  // namespace sabot
