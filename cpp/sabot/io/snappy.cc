// Snappy block decompression. The format: a varint preamble with the uncompressed
// length, then tags. A tag's low two bits say what follows: 0 a literal (its length - 1
// in the upper six bits, or in the 1 to 4 bytes after the tag when those bits say 60 to
// 63), 1 a copy of 4 to 11 bytes with an 11-bit offset, 2 a copy of 1 to 64 bytes with a
// 16-bit offset, 3 the same with a 32-bit offset. A copy repeats bytes already written,
// `offset` back; an offset below the length repeats a pattern.
#include "sabot/io/snappy.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace sabot {
namespace {

// Room a wide move may need past the bytes a tag writes: the longest copy (64 bytes)
// moved in 16-byte steps, or a literal of up to 16 bytes moved as 16.
constexpr int64_t kWideRoom = 64;
// Input a short literal's 16-byte move or a copy's 5-byte tag may read past the tag.
constexpr int64_t kInputSlack = 17;
static_assert(std::endian::native == std::endian::little, "copy offsets are loaded as little-endian words");

arrow::Status Corrupt(const char* what, int64_t at) {
  return arrow::Status::IOError("corrupt Snappy block: ", what, " (at input byte ", at, ")");
}

uint32_t LoadLittleEndian(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<uint32_t>(p[i]) << (8 * i);
  return value;
}

// Reads the preamble; `*ip` moves past it.
arrow::Result<int64_t> ReadPreamble(const uint8_t** ip, const uint8_t* ip_end) {
  uint64_t length = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (*ip >= ip_end) return Corrupt("truncated length preamble", 0);
    const uint8_t byte = *(*ip)++;
    length |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      if (length > 0xFFFFFFFFu) return Corrupt("length preamble above 2^32 - 1", 0);
      return static_cast<int64_t>(length);
    }
  }
  return Corrupt("length preamble longer than five bytes", 0);
}

// Copies `n` bytes from `offset` back, where the output has kWideRoom bytes of room from
// `op`. Bytes past op + n may be overwritten with garbage; later tags overwrite them.
inline void WideCopy(uint8_t* op, int64_t offset, int64_t n) {
  const uint8_t* src = op - offset;
  if (offset >= 16) {
    // Each 16-byte step reads bytes at least 16 back: written before the step began.
    for (int64_t done = 0; done < n; done += 16) std::memcpy(op + done, src + done, 16);
  } else if (offset >= 8) {
    for (int64_t done = 0; done < n; done += 8) std::memcpy(op + done, src + done, 8);
  } else {
    for (int64_t i = 0; i < n; ++i) op[i] = src[i];  // a pattern of under 8 bytes
  }
}

// What the fast loop needs of a tag byte: the bytes it writes, and its offset's bytes
// and high bits.
struct TagInfo {
  uint8_t length;        // literal or copy length; above 16 for the tags the loop leaves
  uint8_t offset_bytes;  // 0 for a literal
  uint32_t offset_high;  // a 1-byte-offset copy's three high bits, in place
};

constexpr std::array<TagInfo, 256> MakeTagInfo() {
  std::array<TagInfo, 256> table{};
  for (int tag = 0; tag < 256; ++tag) {
    TagInfo& t = table[static_cast<size_t>(tag)];
    switch (tag & 3) {
      case 0:
        t.length = static_cast<uint8_t>((tag >> 2) + 1);
        break;
      case 1:
        t.length = static_cast<uint8_t>(((tag >> 2) & 7) + 4);
        t.offset_bytes = 1;
        t.offset_high = static_cast<uint32_t>(tag >> 5) << 8;
        break;
      case 2:
        t.length = static_cast<uint8_t>((tag >> 2) + 1);
        t.offset_bytes = 2;
        break;
      default:
        // A 4-byte offset: rare (blocks under 64 KB need none), and the loop finds the
        // next tag as if the tag's type were its offset's length, so CheckedTag takes it.
        t.length = 0xFF;
        t.offset_bytes = 4;
        break;
    }
  }
  return table;
}
constexpr std::array<TagInfo, 256> kTagInfo = MakeTagInfo();
constexpr uint32_t kOffsetMask[5] = {0, 0xFF, 0xFFFF, 0, 0xFFFFFFFF};

// One tag with every bound checked: the tail of a block, and the tags the fast loop
// leaves to it (long literals and copies, patterns under 8 bytes, anything suspect).
// `ip` and `op` (references) move past the tag and its bytes.
inline arrow::Status CheckedTag(const uint8_t* in, const uint8_t*& ip, const uint8_t* ip_end, uint8_t* out,
                                uint8_t*& op, uint8_t* op_end) {
  const uint8_t tag = *ip;
  const int64_t room = op_end - op;
  const int64_t at = ip - in;
  if ((tag & 3) == 0) {
    int64_t n = (tag >> 2) + 1;
    ++ip;
    if (n > 60) {
      const int bytes = static_cast<int>(n - 60);
      if (ip_end - ip < bytes) return Corrupt("truncated literal length", at);
      n = static_cast<int64_t>(LoadLittleEndian(ip, bytes)) + 1;
      ip += bytes;
    }
    if (ip_end - ip < n) return Corrupt("literal runs past the end of the input", at);
    if (room < n) return Corrupt("literal runs past the announced length", at);
    std::memcpy(op, ip, static_cast<size_t>(n));
    op += n;
    ip += n;
    return arrow::Status::OK();
  }
  int64_t n;
  int64_t offset;
  switch (tag & 3) {
    case 1:
      if (ip_end - ip < 2) return Corrupt("truncated copy", at);
      n = ((tag >> 2) & 7) + 4;
      offset = (static_cast<int64_t>(tag >> 5) << 8) | ip[1];
      ip += 2;
      break;
    case 2:
      if (ip_end - ip < 3) return Corrupt("truncated copy", at);
      n = (tag >> 2) + 1;
      offset = LoadLittleEndian(ip + 1, 2);
      ip += 3;
      break;
    default:
      if (ip_end - ip < 5) return Corrupt("truncated copy", at);
      n = (tag >> 2) + 1;
      offset = LoadLittleEndian(ip + 1, 4);
      ip += 5;
      break;
  }
  if (offset == 0 || offset > op - out) return Corrupt("copy from before the start of the output", at);
  if (room < n) return Corrupt("copy runs past the announced length", at);
  if (room >= kWideRoom) {
    WideCopy(op, offset, n);
  } else {
    const uint8_t* src = op - offset;
    for (int64_t i = 0; i < n; ++i) op[i] = src[i];
  }
  op += n;
  return arrow::Status::OK();
}

// The bulk of a block: tags from `*ip_at` on, output from `*op_at` on, while kInputSlack
// bytes of input remain before `ip_end` and kWideRoom of output before `op_end`; both
// move past the tags done. Parquet's integer pages compress into a tag every four to six
// bytes (SF1 lineitem: 66M tags for 370 MB), short literals and short copies mixed at
// random, so the time goes to the tags:
// - Either kind takes the same path, as mispredicting which comes next would cost most:
//   a literal is a copy from the input, the source picked without a branch, and 16
//   bytes move as two 8-byte moves (right for a literal and for a copy at least 8 bytes
//   back, whose second move reads what the first wrote). No move reaches outside the
//   buffers; the rare tags the loop cannot take go to CheckedTag.
// - What bounds the loop is the chain from one tag byte to the next. The next tag lies
//   past a literal's data or a copy's 1 or 2 offset bytes: both places are loaded as
//   soon as this tag is known and one is picked, so a step of the chain is one load
//   (plus the pick); finding the next place first from a table of skips made it two
//   loads (make bench-snappy over SF1 lineitem on Intel: 0.297 -> 0.241 s).
// - A function of its own, with `ip` and `op` locals whose address is never taken:
//   where they were the caller's, whose address its other calls take, the compiler kept
//   them in memory, and each tag reloaded them.
[[gnu::noinline]] arrow::Status FastTags(const uint8_t* in, const uint8_t** ip_at, const uint8_t* ip_end,
                                         uint8_t* out, uint8_t** op_at, uint8_t* op_end) {
  const uint8_t* ip = *ip_at;
  uint8_t* op = *op_at;
  const uint8_t* const ip_fast_end = ip_end - std::min<int64_t>(ip_end - ip, kInputSlack);
  uint8_t* const op_fast_end = op_end - std::min<int64_t>(op_end - out, kWideRoom);
  uint64_t tag = ip < ip_fast_end ? *ip : 0;
  while (ip < ip_fast_end && op < op_fast_end) {
    const TagInfo info = kTagInfo[tag];
    uint32_t word;
    std::memcpy(&word, ip + 1, 4);
    // All ones for a literal, zero for a copy: the source, the next tag and the checks
    // below are picked with it arithmetically, as a conditional would compile into a
    // branch.
    const uint64_t literal = uint64_t{0} - static_cast<uint64_t>((tag & 3) == 0);
    const uint64_t offset = (word & kOffsetMask[info.offset_bytes]) | info.offset_high;  // 0 for a literal
    // A literal passes as offset 8. Rare: more than 16 bytes (a 4-byte offset too, see
    // MakeTagInfo), a pattern under 8 bytes back, a copy from before the output's start
    // (or of offset 0).
    const uint64_t checked = offset | (literal & 8);
    if (info.length > 16 || checked < 8 || checked > static_cast<uint64_t>(op - out)) [[unlikely]] {
      const uint8_t* tag_ip = ip;
      uint8_t* tag_op = op;
      ARROW_RETURN_NOT_OK(CheckedTag(in, tag_ip, ip_end, out, tag_op, op_end));
      ip = tag_ip;
      op = tag_op;
      tag = ip < ip_fast_end ? *ip : 0;
      continue;
    }
    // Both places the next tag may be: past a literal's data (at most 16 bytes here),
    // past a copy's offset bytes (the tag's type). The mask keeps a copy's guess within
    // kInputSlack too (its upper bits are a length and offset bits, not a literal's).
    const uint64_t past_literal = 2 + ((tag >> 2) & 15);
    const uint64_t past_copy = 1 + (tag & 3);
    const uint64_t after_literal = ip[past_literal];
    const uint64_t after_copy = ip[past_copy];
    const auto from = reinterpret_cast<const uint8_t*>(
        (reinterpret_cast<uintptr_t>(ip + 1) & literal) | (reinterpret_cast<uintptr_t>(op - offset) & ~literal));
    std::memcpy(op, from, 8);
    std::memcpy(op + 8, from + 8, 8);
    op += info.length;
    ip += (past_literal & literal) | (past_copy & ~literal);
    tag = (after_literal & literal) | (after_copy & ~literal);
  }
  *ip_at = ip;
  *op_at = op;
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<int64_t> SnappyUncompressedLength(const uint8_t* in, int64_t in_len) {
  const uint8_t* ip = in;
  return ReadPreamble(&ip, in + in_len);
}

arrow::Status SnappyUncompress(const uint8_t* in, int64_t in_len, uint8_t* out, int64_t out_len) {
  const uint8_t* ip = in;
  const uint8_t* const ip_end = in + in_len;
  ARROW_ASSIGN_OR_RAISE(const int64_t length, ReadPreamble(&ip, ip_end));
  if (length != out_len) {
    return arrow::Status::IOError("corrupt Snappy block: it holds ", length, " bytes, expected ", out_len);
  }
  uint8_t* op = out;
  uint8_t* const op_end = out + out_len;
  ARROW_RETURN_NOT_OK(FastTags(in, &ip, ip_end, out, &op, op_end));
  while (ip < ip_end) ARROW_RETURN_NOT_OK(CheckedTag(in, ip, ip_end, out, op, op_end));
  if (op != op_end) {
    return arrow::Status::IOError("corrupt Snappy block: it ends after ", op - out, " of its ", out_len, " bytes");
  }
  return arrow::Status::OK();
}

}  // namespace sabot
