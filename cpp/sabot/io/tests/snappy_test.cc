// Tests for SnappyUncompress: blocks that Arrow's Snappy codec compressed come back
// byte for byte, whatever tags they use; corrupt blocks are errors, never reads or
// writes outside the buffers (the sanitizer build checks that part).
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <arrow/util/compression.h>
#include <gtest/gtest.h>

#include "sabot/io/snappy.h"

namespace sabot {
namespace {

std::vector<uint8_t> Compress(const std::vector<uint8_t>& raw) {
  auto codec = arrow::util::Codec::Create(arrow::Compression::SNAPPY).ValueOrDie();
  std::vector<uint8_t> out(static_cast<size_t>(codec->MaxCompressedLen(static_cast<int64_t>(raw.size()), raw.data())));
  const int64_t n =
      codec->Compress(static_cast<int64_t>(raw.size()), raw.data(), static_cast<int64_t>(out.size()), out.data())
          .ValueOrDie();
  out.resize(static_cast<size_t>(n));
  return out;
}

// Decompresses into a buffer of exactly the announced size (on the heap, so that the
// address sanitizer sees a byte written past it).
arrow::Status Uncompress(const std::vector<uint8_t>& block, std::vector<uint8_t>* out) {
  auto length = SnappyUncompressedLength(block.data(), static_cast<int64_t>(block.size()));
  if (!length.ok()) return length.status();
  out->assign(static_cast<size_t>(*length), 0xAB);
  return SnappyUncompress(block.data(), static_cast<int64_t>(block.size()), out->data(), *length);
}

void ExpectRoundTrip(const std::vector<uint8_t>& raw) {
  const auto block = Compress(raw);
  std::vector<uint8_t> out;
  ASSERT_TRUE(Uncompress(block, &out).ok());
  ASSERT_EQ(out, raw);
}

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed, int alphabet = 256) {
  std::mt19937 gen(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(gen() % alphabet);
  return v;
}

TEST(SnappyTest, EmptyAndTinyBlocks) {
  ExpectRoundTrip({});
  ExpectRoundTrip({42});
  ExpectRoundTrip({1, 2, 3});
}

TEST(SnappyTest, IncompressibleBytesAreLongLiterals) {
  // Literal lengths beyond 60 take one to four extra length bytes.
  for (size_t n : {15, 16, 17, 60, 61, 255, 256, 70000, 1 << 20}) ExpectRoundTrip(RandomBytes(n, 7));
}

TEST(SnappyTest, RepeatedPatternsOfEveryShortPeriod) {
  // Periods under 8, 8 to 15 and from 16 take the three copy paths.
  for (size_t period = 1; period <= 40; ++period) {
    auto unit = RandomBytes(period, static_cast<uint32_t>(period));
    std::vector<uint8_t> raw;
    while (raw.size() < 5000) raw.insert(raw.end(), unit.begin(), unit.end());
    raw.resize(5000 + period);  // ends inside a copy
    ExpectRoundTrip(raw);
  }
}

TEST(SnappyTest, IntegerKeysAsParquetDictionariesStoreThem) {
  // int64 keys below 2^20 in random order: a short literal and a short copy by turns,
  // the case the decoder is written for; plus far copies (32-bit offsets) in a large block.
  std::mt19937_64 gen(3);
  std::vector<int64_t> keys(200000);
  for (auto& k : keys) k = static_cast<int64_t>(gen() % (1 << 20));
  std::vector<uint8_t> raw(keys.size() * sizeof(int64_t));
  std::memcpy(raw.data(), keys.data(), raw.size());
  ExpectRoundTrip(raw);
  auto twice = raw;
  twice.insert(twice.end(), raw.begin(), raw.end());
  ExpectRoundTrip(twice);
}

TEST(SnappyTest, MixedTextAndRunsAtEveryEnding) {
  auto text = RandomBytes(3000, 11, /*alphabet=*/4);
  for (size_t cut = 2900; cut <= 3000; ++cut) ExpectRoundTrip(std::vector<uint8_t>(text.begin(), text.begin() + cut));
}

TEST(SnappyTest, WrongOutputLengthIsAnError) {
  const auto block = Compress(RandomBytes(100, 5));
  std::vector<uint8_t> out(99);
  auto st = SnappyUncompress(block.data(), static_cast<int64_t>(block.size()), out.data(), 99);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("holds 100 bytes, expected 99"), std::string::npos) << st.message();
}

TEST(SnappyTest, HandMadeCorruptBlocksAreErrors) {
  std::vector<uint8_t> out;
  auto expect_error = [&](std::vector<uint8_t> block, const std::string& what) {
    auto st = Uncompress(block, &out);
    ASSERT_FALSE(st.ok()) << what;
    EXPECT_TRUE(st.IsIOError());
    EXPECT_NE(st.message().find(what), std::string::npos) << st.message();
  };
  expect_error({}, "truncated length preamble");
  expect_error({0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, "longer than five bytes");
  // Length 4: a copy (tag 1: 4 bytes, offset 1) before anything was written.
  expect_error({4, 0x01, 0x01}, "copy from before the start");
  // Length 4: a literal of 1 byte, then a copy with offset 0.
  expect_error({4, 0x00, 'a', 0x01, 0x00}, "copy from before the start");
  // Length 2: a literal of 3 bytes.
  expect_error({2, 0x08, 'a', 'b', 'c'}, "literal runs past the announced length");
  // Length 5: a literal announcing 3 bytes with 1 present.
  expect_error({5, 0x08, 'a'}, "literal runs past the end of the input");
  // Length 5: a literal of 1 byte, then a copy of 8 bytes (offset 1).
  expect_error({5, 0x00, 'a', 0x11, 0x01}, "copy runs past the announced length");
  // Length 3, only one byte written.
  expect_error({3, 0x00, 'a'}, "ends after 1 of its 3 bytes");
  // Truncated copies of each kind.
  expect_error({4, 0x00, 'a', 0x01}, "truncated copy");
  expect_error({4, 0x00, 'a', 0x02, 0x01}, "truncated copy");
  expect_error({4, 0x00, 'a', 0x03, 0x01, 0x00}, "truncated copy");
  expect_error({70, 0xF0, 0x10}, "literal runs past the end of the input");
  expect_error({70, 0xF4, 0x10}, "truncated literal length");
}

// Far from either end of a block a tag takes the unchecked fast loop: its bad copies are
// errors there too, at the tag's input byte.
TEST(SnappyTest, CorruptCopiesInTheMiddleOfALongBlockAreErrors) {
  // 300 bytes: a 16-byte literal, then copies of 16 bytes, 16 back (tag 2: length - 1 in
  // the upper six bits, a 2-byte offset), with one bad copy in their midst.
  auto block_with = [](uint16_t bad_offset) {
    std::vector<uint8_t> block = {172, 2, 0x3C};  // preamble 300; a literal of 16 bytes
    for (int i = 0; i < 16; ++i) block.push_back(static_cast<uint8_t>('a' + i));
    for (int copy = 0; copy < 17; ++copy) {
      const uint16_t offset = copy == 5 ? bad_offset : 16;
      block.insert(block.end(), {0x3E, static_cast<uint8_t>(offset & 0xFF), static_cast<uint8_t>(offset >> 8)});
    }
    block.insert(block.end(), {0x2E, 0x10, 0x00});  // 12 bytes more, 16 back: 300 in all
    return block;
  };
  std::vector<uint8_t> out;
  ASSERT_TRUE(Uncompress(block_with(16), &out).ok());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], 'a' + i % 16) << i;
  // The sixth copy's tag is input byte 3 + 16 + 5 * 3 = 34; 96 bytes are written by then.
  for (uint16_t bad : {0, 97, 4000}) {
    auto st = Uncompress(block_with(bad), &out);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("copy from before the start of the output (at input byte 34)"), std::string::npos)
        << st.message();
  }
  // 96 back reaches the first byte written: fine.
  EXPECT_TRUE(Uncompress(block_with(96), &out).ok());
}

TEST(SnappyTest, EveryTruncationAndBitFlipIsAnErrorOrStaysInBounds) {
  auto raw = RandomBytes(2000, 13, /*alphabet=*/3);
  const auto block = Compress(raw);
  std::vector<uint8_t> out;
  for (size_t cut = 1; cut < block.size(); ++cut) {
    std::vector<uint8_t> prefix(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(Uncompress(prefix, &out).ok()) << "cut at " << cut;
  }
  std::mt19937 gen(17);
  for (int trial = 0; trial < 2000; ++trial) {
    auto flipped = block;
    flipped[gen() % flipped.size()] ^= static_cast<uint8_t>(1u << (gen() % 8));
    (void)Uncompress(flipped, &out);  // any outcome but a bad access
  }
}

}  // namespace
}  // namespace sabot
