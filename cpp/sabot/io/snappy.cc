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

// What the fast loop needs of a tag byte, from which a tag's offset is
// (the 4 bytes after the tag & mask) | high.
struct TagInfo {
  uint32_t mask;  // a copy's offset bytes: 0xFF or 0xFFFF
  uint32_t high;  // a 1-byte-offset copy's three high bits, in place
};

// The tags the fast loop takes: literals and copies of up to 16 bytes with a 1- or 2-byte
// offset. Any other tag gets an offset of 0, which sends it to CheckedTag, as does a copy
// whose offset is under 8 (a short pattern) or 0. A literal passes as offset 8.
constexpr bool FastTag(int tag) {
  switch (tag & 3) {
    case 0:  // a literal
    case 2:  // a copy with a 2-byte offset
      return (tag >> 2) + 1 <= 16;
    case 1:  // a copy with a 1-byte offset: 4 to 11 bytes
      return true;
    default:  // a copy with a 4-byte offset
      return false;
  }
}

constexpr std::array<TagInfo, 256> MakeTagInfo() {
  std::array<TagInfo, 256> table{};
  for (int tag = 0; tag < 256; ++tag) {
    TagInfo& t = table[static_cast<size_t>(tag)];
    if (!FastTag(tag)) continue;
    switch (tag & 3) {
      case 0:
        t.high = 8;
        break;
      case 1:
        t.mask = 0xFF;
        t.high = static_cast<uint32_t>(tag >> 5) << 8;
        break;
      default:
        t.mask = 0xFFFF;
        break;
    }
  }
  return table;
}
constexpr std::array<TagInfo, 256> kTagInfo = MakeTagInfo();

// The bytes a tag writes (for the tags the fast loop takes).
constexpr std::array<uint8_t, 256> MakeTagLength() {
  std::array<uint8_t, 256> table{};
  for (int tag = 0; tag < 256; ++tag) {
    table[static_cast<size_t>(tag)] =
        static_cast<uint8_t>((tag & 3) == 1 ? ((tag >> 2) & 7) + 4 : ((tag >> 2) & 15) + 1);
  }
  return table;
}
constexpr std::array<uint8_t, 256> kTagLength = MakeTagLength();

// Where `tag` is a literal's, sets `*from` to `literal_from` and `*next` to
// `literal_next`, without a branch: literals and copies come in random order, and GCC
// compiles the conditional into a jump that mispredicts at every other tag.
inline void PickForLiteral(size_t tag, const uint8_t* literal_from, const uint8_t** from, const uint8_t* literal_next,
                           const uint8_t** next) {
#if defined(__x86_64__)
  asm("test $3, %[tag]\n\t"
      "cmovz %[literal_from], %[from]\n\t"
      "cmovz %[literal_next], %[next]"
      : [from] "+r"(*from), [next] "+r"(*next)
      : [tag] "r"(tag), [literal_from] "r"(literal_from), [literal_next] "r"(literal_next)
      : "cc");
#else
  const uintptr_t literal = uintptr_t{0} - static_cast<uintptr_t>((tag & 3) == 0);
  *from = reinterpret_cast<const uint8_t*>((reinterpret_cast<uintptr_t>(literal_from) & literal) |
                                           (reinterpret_cast<uintptr_t>(*from) & ~literal));
  *next = reinterpret_cast<const uint8_t*>((reinterpret_cast<uintptr_t>(literal_next) & literal) |
                                           (reinterpret_cast<uintptr_t>(*next) & ~literal));
#endif
}

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
// move past the tags done. Parquet's pages compress into a tag every four to six bytes
// (SF1 lineitem: 66M tags for 370 MB), short literals and short copies mixed at random,
// so the time goes to the tags, about 30 instructions and 8-9 cycles each:
// - Either kind takes the same path, as mispredicting which comes next would cost most:
//   a literal is a copy from the input, and 16 bytes move as two 8-byte moves (right for
//   a literal and for a copy at least 8 bytes back, whose second move reads what the
//   first wrote). The source and the next tag's place are picked with conditional moves
//   (PickForLiteral). No move reaches outside the buffers.
// - One test per tag sends the rare tags the loop cannot take to CheckedTag: the offset
//   comes from two table entries per tag byte (kTagInfo), which give a tag the loop does
//   not take offset 0, and a literal offset 8, so that "offset under 8 or before the
//   output's start" covers them all.
// - What bounds the loop is the chain from one tag byte to the next (past a literal's
//   data or a copy's offset bytes). Loading the bytes at both places and picking one
//   measured the same as picking the place and loading from it, which takes fewer
//   instructions. make bench-snappy over SF1 lineitem on Intel: 0.239 -> 0.200 s, the
//   dictionary pages 0.140 -> 0.114 s, from a loop of 48 instructions with a second
//   table lookup for the offset's mask and a branch-free select done in arithmetic.
// - A function of its own, with `ip` and `op` locals whose address is never taken:
//   where they were the caller's, whose address its other calls take, the compiler kept
//   them in memory, and each tag reloaded them.
[[gnu::noinline]] arrow::Status FastTags(const uint8_t* in, const uint8_t** ip_at, const uint8_t* ip_end,
                                         uint8_t* out, uint8_t** op_at, uint8_t* op_end) {
  const uint8_t* ip = *ip_at;
  uint8_t* op = *op_at;
  const uint8_t* const ip_fast_end = ip_end - std::min<int64_t>(ip_end - ip, kInputSlack);
  uint8_t* const op_fast_end = op_end - std::min<int64_t>(op_end - out, kWideRoom);
  const uintptr_t out_start = reinterpret_cast<uintptr_t>(out);
  size_t tag = ip < ip_fast_end ? *ip : 0;
  while (ip < ip_fast_end && op < op_fast_end) {
    uint32_t word;
    std::memcpy(&word, ip + 1, 4);
    const uint32_t offset = (word & kTagInfo[tag].mask) | kTagInfo[tag].high;
    const uintptr_t copy_from = reinterpret_cast<uintptr_t>(op) - offset;
    if (offset < 8 || copy_from < out_start) [[unlikely]] {
      const uint8_t* tag_ip = ip;
      uint8_t* tag_op = op;
      ARROW_RETURN_NOT_OK(CheckedTag(in, tag_ip, ip_end, out, tag_op, op_end));
      ip = tag_ip;
      op = tag_op;
      tag = ip < ip_fast_end ? *ip : 0;
      continue;
    }
    const uint8_t* from = reinterpret_cast<const uint8_t*>(copy_from);
    const uint8_t* next = ip + 1 + (tag & 3);
    PickForLiteral(tag, ip + 1, &from, ip + 2 + (tag >> 2), &next);
    std::memcpy(op, from, 8);
    std::memcpy(op + 8, from + 8, 8);
    op += kTagLength[tag];
    ip = next;
    tag = *ip;
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
