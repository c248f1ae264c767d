// MergedWatermark: the minimum over inputs, idle inputs left out, ended ones done.
#include <gtest/gtest.h>

#include "sabot/exec/merged_watermark.h"

namespace sabot {
namespace {

// The watermark Next() sends, or -1 for nothing and -2 for Idle.
EventTime Sent(MergedWatermark& merged) {
  auto next = merged.Next();
  if (!next) return -1;
  if (next->kind() == MessageKind::kIdle) return -2;
  EXPECT_EQ(next->kind(), MessageKind::kWatermark);
  return next->watermark();
}

TEST(MergedWatermark, IsTheMinimumOverInputsAndOnlyMovesUp) {
  MergedWatermark merged(3);
  merged.Record(0, Message::Watermark(50));
  EXPECT_EQ(Sent(merged), -1);  // inputs 1 and 2 have sent nothing yet
  merged.Record(1, Message::Watermark(30));
  merged.Record(2, Message::Watermark(40));
  EXPECT_EQ(Sent(merged), 30);
  merged.Record(1, Message::Watermark(20));  // an older watermark changes nothing
  EXPECT_EQ(Sent(merged), -1);
  merged.Record(1, Message::Watermark(60));
  EXPECT_EQ(Sent(merged), 40);
  merged.Record(2, Message::EndOfStream());  // an ended input holds nothing back
  EXPECT_EQ(Sent(merged), 50);
  merged.Record(0, Message::EndOfStream());
  merged.Record(1, Message::EndOfStream());
  EXPECT_EQ(Sent(merged), -1);  // the end of stream that follows is the last watermark
}

TEST(MergedWatermark, IdleInputsDoNotHoldTheOthersBack) {
  MergedWatermark merged(2);
  merged.Record(0, Message::Watermark(10));
  merged.Record(1, Message::Watermark(5));
  EXPECT_EQ(Sent(merged), 5);
  merged.Record(1, Message::Idle());
  EXPECT_EQ(Sent(merged), 10);
  merged.Record(0, Message::Watermark(20));
  EXPECT_EQ(Sent(merged), 20);
  merged.Record(0, Message::Idle());  // every input idle: idle once
  EXPECT_EQ(Sent(merged), -2);
  merged.Record(1, Message::Idle());
  EXPECT_EQ(Sent(merged), -1);
  merged.Active(1);  // rows again: it counts, with its old watermark below what was sent
  merged.Record(0, Message::Idle());
  EXPECT_EQ(Sent(merged), -1);
  merged.Record(1, Message::Idle());
  EXPECT_EQ(Sent(merged), -2);  // idle again after the rows
  merged.Record(1, Message::Watermark(30));
  EXPECT_EQ(Sent(merged), 30);
}

}  // namespace
}  // namespace sabot
