// Snappy block decompression. The format: a varint preamble with the uncompressed
// length, then tags. A tag's low two bits say what follows: 0 a literal (its length - 1
// in the upper six bits, or in the 1 to 4 bytes after the tag when those bits say 60 to
// 63), 1 a copy of 4 to 11 bytes with an 11-bit offset, 2 a copy of 1 to 64 bytes with a
// 16-bit offset, 3 the same with a 32-bit offset. A copy repeats bytes already written,
// `offset` back; an offset below the length repeats a pattern.
#include "sabot/io/snappy.h"

#include <cstring>

namespace sabot {
namespace {

// Room a wide move may need past the bytes a tag writes: the longest copy (64 bytes)
// moved in 16-byte steps, or a literal of up to 16 bytes moved as 16.
constexpr int64_t kWideRoom = 64;

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
  while (ip < ip_end) {
    const uint8_t tag = *ip;
    const int64_t room = op_end - op;
    if ((tag & 3) == 0) {
      int64_t n = (tag >> 2) + 1;
      if (n <= 16 && ip_end - ip > 16 && room >= 16) {
        std::memcpy(op, ip + 1, 16);  // the literal and whatever follows it
        op += n;
        ip += 1 + n;
        continue;
      }
      const int64_t at = ip - in;
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
      continue;
    }
    const int64_t at = ip - in;
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
  }
  if (op != op_end) {
    return arrow::Status::IOError("corrupt Snappy block: it ends after ", op - out, " of its ", out_len, " bytes");
  }
  return arrow::Status::OK();
}

}  // namespace sabot
