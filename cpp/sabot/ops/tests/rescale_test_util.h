// Rescaling an operator mid-stream in tests: run it over a prefix, snapshot all its key
// groups, restore them split over two instances owning halves of the key groups, route
// the rest of the input by key group, and compare with one uninterrupted instance.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/exec/operator.h"
#include "sabot/ops/tests/test_util.h"
#include "sabot/state/key_group_snapshot.h"

namespace sabot::testing {

//! A message for input `port`.
struct PortMessage {
  int port;
  Message message;
};

//! Every output row as text ("v1|v2|..."), sorted: outputs compared as multisets.
inline std::vector<std::string> SortedRows(const std::vector<const RecordingOperator*>& outputs) {
  std::vector<std::string> rows;
  for (const auto* out : outputs) {
    for (const auto& m : out->messages) {
      if (!m.is_batch()) continue;
      const auto& batch = *m.batch();
      for (int64_t i = 0; i < batch.num_rows(); ++i) {
        std::string row;
        for (int c = 0; c < batch.num_columns(); ++c) {
          row += batch.column(c)->GetScalar(i).ValueOrDie()->ToString() + "|";
        }
        rows.push_back(std::move(row));
      }
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

//! An operator and its recorded output.
struct Instance {
  std::unique_ptr<Operator> op;
  std::unique_ptr<RecordingOperator> out;
  KeyGroupSnapshots* state() const { return dynamic_cast<KeyGroupSnapshots*>(op.get()); }
};

inline Instance Start(const std::function<std::unique_ptr<Operator>()>& make) {
  Instance i{make(), nullptr};
  i.out = std::make_unique<RecordingOperator>(i.op->output_schema());
  i.op->ConnectTo(i.out.get(), 0);
  return i;
}

//! Pushes `message` into `instance`; a batch only with its rows of the instance's key
//! groups (by `key_columns[port]`), so that an instance sees what an exchange would send it.
inline void Route(Instance& instance, const PortMessage& m, const std::vector<std::vector<int>>& key_columns) {
  Message message = m.message;
  if (message.is_batch()) {
    const auto* state = instance.state();
    auto groups = RowKeyGroups(*message.batch(), key_columns[m.port], state->num_key_groups()).ValueOrDie();
    auto rows = RowsInKeyGroups(message.batch(), groups, state->key_group_range()).ValueOrDie();
    if (rows == nullptr) return;
    message = Message::Batch(rows);
  }
  ASSERT_TRUE(instance.op->Push(m.port, std::move(message)).ok());
}

//! The state sizes per key group add up to the instance's state size.
inline void ExpectStateRowsAddUp(const Instance& instance) {
  auto by_group = instance.state()->StateRowsByKeyGroup();
  ASSERT_TRUE(by_group.ok()) << by_group.status();
  const auto& range = instance.state()->key_group_range();
  EXPECT_EQ(by_group->size(), static_cast<size_t>(range.end - range.begin));
  int64_t total = 0;
  for (int64_t rows : *by_group) total += rows;
  EXPECT_EQ(total, instance.op->state_rows());
}

//! The rows one uninterrupted instance emits for `input`, and the rows emitted when the
//! instance is snapshotted after input[split] and its key groups go to two new instances
//! (split at key group `mid`); the caller compares them (and with the batch answer).
struct RescaleOutcome {
  std::vector<std::string> uninterrupted;
  std::vector<std::string> rescaled;
  int64_t state_rows_before = 0;  // of the snapshotted instance
  int64_t restored_state_rows = 0;  // of the two new instances right after restoring
};

inline RescaleOutcome RunRescaled(const std::function<std::unique_ptr<Operator>()>& make,
                                  const std::vector<PortMessage>& input, size_t split,
                                  const std::vector<std::vector<int>>& key_columns, int mid = kDefaultKeyGroups / 2) {
  RescaleOutcome outcome;
  Instance whole = Start(make);
  for (const auto& m : input) Route(whole, m, key_columns);
  outcome.uninterrupted = SortedRows({whole.out.get()});

  Instance first = Start(make);
  for (size_t i = 0; i < split; ++i) Route(first, input[i], key_columns);
  outcome.state_rows_before = first.op->state_rows();
  ExpectStateRowsAddUp(first);

  Instance halves[2] = {Start(make), Start(make)};
  const KeyGroupRange ranges[2] = {{0, mid}, {mid, kDefaultKeyGroups}};
  for (int h = 0; h < 2; ++h) {
    EXPECT_TRUE(halves[h].state()->OwnKeyGroups(ranges[h]).ok());
    auto snapshot = first.state()->SnapshotKeyGroups(ranges[h]);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    auto restored = halves[h].state()->RestoreKeyGroups(**snapshot);
    EXPECT_TRUE(restored.ok()) << restored;
    outcome.restored_state_rows += halves[h].op->state_rows();
  }
  for (size_t i = split; i < input.size(); ++i) {
    for (auto& half : halves) Route(half, input[i], key_columns);
  }
  for (const auto& half : halves) ExpectStateRowsAddUp(half);  // zero once the watermarks freed it
  outcome.rescaled = SortedRows({first.out.get(), halves[0].out.get(), halves[1].out.get()});
  return outcome;
}

}  // namespace sabot::testing
