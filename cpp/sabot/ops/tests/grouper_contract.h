// Checks of Arrow's Grouper contract that every Sabot grouper must keep.
#pragma once

#include <memory>

#include <arrow/api.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>
#include <gtest/gtest.h>

namespace sabot::testing {

//! Consumes `seen` (keys x, y, x), then looks up `probe` (y, a key never seen, x, a
//! null): ids 1, null, 0, null (no null group was ever consumed), and no new group.
inline void ExpectLookupGivesNullForAbsentKeys(arrow::compute::Grouper& grouper,
                                               const std::shared_ptr<arrow::Array>& seen,
                                               const std::shared_ptr<arrow::Array>& probe) {
  namespace cp = arrow::compute;
  ASSERT_TRUE(grouper.Consume(cp::ExecSpan(cp::ExecBatch({seen}, seen->length()))).ok());
  auto looked_up = grouper.Lookup(cp::ExecSpan(cp::ExecBatch({probe}, probe->length())));
  ASSERT_TRUE(looked_up.ok()) << looked_up.status().ToString();
  auto ids = std::static_pointer_cast<arrow::UInt32Array>(looked_up->make_array());
  ASSERT_EQ(ids->length(), 4);
  EXPECT_EQ(ids->Value(0), 1u);
  EXPECT_TRUE(ids->IsNull(1));
  EXPECT_EQ(ids->Value(2), 0u);
  EXPECT_TRUE(ids->IsNull(3));
  EXPECT_EQ(grouper.num_groups(), 2u);
}

}  // namespace sabot::testing
