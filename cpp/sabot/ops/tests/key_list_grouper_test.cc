// KeyListGrouper: a key list reads as a Grouper whose group g has the list's key g, and
// becomes an ordinary Grouper (the same ids) once rows are mapped.
#include "sabot/ops/key_list_grouper.h"
#include "sabot/ops/int_key_grouper.h"
#include "sabot/ops/tests/grouper_contract.h"

#include <map>
#include <optional>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/exec.h>
#include <gtest/gtest.h>

namespace sabot {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Array> Int64s(const std::vector<std::optional<int64_t>>& values) {
  arrow::Int64Builder b;
  for (const auto& v : values) {
    EXPECT_TRUE((v ? b.Append(*v) : b.AppendNull()).ok());
  }
  return *b.Finish();
}

cp::ExecBatch Batch(const std::shared_ptr<arrow::Array>& keys) { return cp::ExecBatch({keys}, keys->length()); }

// Counts the tables made, so a test can tell whether the list was turned into one.
GrouperFactory CountingFactory(int* made) {
  return [made]() -> Result<std::unique_ptr<cp::Grouper>> {
    ++*made;
    return MakeIntKeyGrouper(arrow::int64());
  };
}

std::vector<std::optional<uint32_t>> IdsOf(const arrow::Datum& datum) {
  auto ids = std::static_pointer_cast<arrow::UInt32Array>(datum.make_array());
  std::vector<std::optional<uint32_t>> out;
  for (int64_t i = 0; i < ids->length(); ++i) {
    out.push_back(ids->IsNull(i) ? std::nullopt : std::optional<uint32_t>(ids->Value(i)));
  }
  return out;
}

TEST(KeyListGrouper, ReadsTheListWithoutMakingATable) {
  int made = 0;
  auto keys = Int64s({30, std::nullopt, -7, 12});
  auto grouper = MakeKeyListGrouper(Batch(keys), CountingFactory(&made));
  EXPECT_EQ(grouper->num_groups(), 4u);
  auto uniques = grouper->GetUniques();
  ASSERT_TRUE(uniques.ok());
  ASSERT_EQ(uniques->length, 4);
  EXPECT_TRUE(uniques->values[0].make_array()->Equals(*keys));
  EXPECT_EQ(made, 0);
}

TEST(KeyListGrouper, MappingRowsKeepsEachKeysPlaceAsItsId) {
  int made = 0;
  auto grouper = MakeKeyListGrouper(Batch(Int64s({30, std::nullopt, -7, 12})), CountingFactory(&made));
  auto ids = grouper->Consume(cp::ExecSpan(Batch(Int64s({12, 99, 30, std::nullopt, 99, -7}))));
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(IdsOf(*ids), (std::vector<std::optional<uint32_t>>{3, 4, 0, 1, 4, 2}));
  EXPECT_EQ(grouper->num_groups(), 5u);
  EXPECT_EQ(made, 1);
  auto looked_up = grouper->Lookup(cp::ExecSpan(Batch(Int64s({-7, 5}))));
  ASSERT_TRUE(looked_up.ok());
  EXPECT_EQ(IdsOf(*looked_up), (std::vector<std::optional<uint32_t>>{2, std::nullopt}));
  auto uniques = grouper->GetUniques();
  ASSERT_TRUE(uniques.ok());
  EXPECT_TRUE(uniques->values[0].make_array()->Equals(*Int64s({30, std::nullopt, -7, 12, 99})));
  EXPECT_EQ(made, 1);
}

TEST(KeyListGrouper, KeepsTheGrouperContract) {
  int made = 0;
  auto grouper = MakeKeyListGrouper(Batch(Int64s({})), CountingFactory(&made));
  testing::ExpectLookupGivesNullForAbsentKeys(*grouper, Int64s({4, 8, 4}), Int64s({8, 5, 4, std::nullopt}));
}

// A Grouper that numbers the new keys of a batch from its last row back: dense and
// consistent, as the contract asks, but not in the order the rows come (DictKeyGrouper
// numbers by its own codes too).
class BackwardsGrouper final : public cp::Grouper {
 public:
  Status Reset() override {
    ids_.clear();
    keys_.clear();
    return Status::OK();
  }
  Result<arrow::Datum> Consume(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    return Map(batch, offset, length, true);
  }
  Result<arrow::Datum> Lookup(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    return Map(batch, offset, length, false);
  }
  Status Populate(const cp::ExecSpan& batch, int64_t offset, int64_t length) override {
    return Map(batch, offset, length, true).status();
  }
  Result<cp::ExecBatch> GetUniques() override {
    std::vector<std::optional<int64_t>> keys(keys_.begin(), keys_.end());
    return cp::ExecBatch({Int64s(keys)}, static_cast<int64_t>(keys.size()));
  }
  uint32_t num_groups() const override { return static_cast<uint32_t>(keys_.size()); }

 private:
  Result<arrow::Datum> Map(const cp::ExecSpan& batch, int64_t offset, int64_t length, bool insert) {
    const arrow::ArraySpan& span = batch[0].array;
    if (length < 0) length = span.length - offset;
    const int64_t* values = span.GetValues<int64_t>(1) + offset;
    std::vector<std::optional<uint32_t>> out(static_cast<size_t>(length));
    for (int64_t i = length - 1; i >= 0; --i) {
      auto found = ids_.find(values[i]);
      if (found == ids_.end() && insert) {
        found = ids_.emplace(values[i], static_cast<uint32_t>(keys_.size())).first;
        keys_.push_back(values[i]);
      }
      if (found != ids_.end()) out[static_cast<size_t>(i)] = found->second;
    }
    arrow::UInt32Builder b;
    for (const auto& id : out) ARROW_RETURN_NOT_OK(id ? b.Append(*id) : b.AppendNull());
    ARROW_ASSIGN_OR_RAISE(auto array, b.Finish());
    return arrow::Datum(array);
  }
  std::map<int64_t, uint32_t> ids_;
  std::vector<int64_t> keys_;
};

TEST(KeyListGrouper, ATableNumberingOtherwiseStillGivesEachKeyItsPlace) {
  GrouperFactory backwards = []() -> Result<std::unique_ptr<cp::Grouper>> {
    return std::make_unique<BackwardsGrouper>();
  };
  auto grouper = MakeKeyListGrouper(Batch(Int64s({30, -7, 12})), backwards);
  auto ids = grouper->Consume(cp::ExecSpan(Batch(Int64s({12, 99, 30, 41, 99}))));
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  // The listed keys keep their places; 99 and 41 come after them, as the table numbered them.
  EXPECT_EQ(IdsOf(*ids), (std::vector<std::optional<uint32_t>>{2, 3, 0, 4, 3}));
  auto looked_up = grouper->Lookup(cp::ExecSpan(Batch(Int64s({-7, 5, 41}))));
  ASSERT_TRUE(looked_up.ok());
  EXPECT_EQ(IdsOf(*looked_up), (std::vector<std::optional<uint32_t>>{1, std::nullopt, 4}));
  auto uniques = grouper->GetUniques();
  ASSERT_TRUE(uniques.ok());
  EXPECT_TRUE(uniques->values[0].make_array()->Equals(*Int64s({30, -7, 12, 99, 41})))
      << uniques->values[0].make_array()->ToString();
}

TEST(KeyListGrouper, ResetLeavesNoGroup) {
  int made = 0;
  auto grouper = MakeKeyListGrouper(Batch(Int64s({1, 2, 3})), CountingFactory(&made));
  ASSERT_TRUE(grouper->Reset().ok());
  EXPECT_EQ(grouper->num_groups(), 0u);
  auto ids = grouper->Consume(cp::ExecSpan(Batch(Int64s({3, 1}))));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(IdsOf(*ids), (std::vector<std::optional<uint32_t>>{0, 1}));
}

TEST(KeyListGrouper, AListWithARepeatedKeyFailsWhenMapped) {
  int made = 0;
  auto grouper = MakeKeyListGrouper(Batch(Int64s({5, 6, 5})), CountingFactory(&made));
  auto ids = grouper->Consume(cp::ExecSpan(Batch(Int64s({6}))));
  ASSERT_FALSE(ids.ok());
  EXPECT_NE(ids.status().message().find("not distinct"), std::string::npos) << ids.status().ToString();
}

}  // namespace
}  // namespace sabot
