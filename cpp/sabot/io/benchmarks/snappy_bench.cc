// Snappy decompression of a Parquet file's pages: Sabot's decoder (io/snappy.h) against
// the Snappy codec bundled with Arrow, on the same blocks in the same process.
//
//   sabot_snappy_bench FILE.parquet [ROUNDS]
//
// Every Snappy-compressed dictionary page and version 1 data page of every column is
// read as stored, both decoders' outputs are compared byte for byte, then each decoder
// decompresses all the blocks ROUNDS times, alternating. Prints the best round of each
// and their ratio (Arrow's time over Sabot's), then Sabot's best round over the
// dictionary pages alone and over the data pages alone: the two compress differently
// (a dictionary of distinct values: short literals and far copies; data pages' bit-packed
// indices: runs), and which one a change moves is what a query's scan feels.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arrow/io/file.h>
#include <arrow/io/memory.h>
#include <arrow/result.h>
#include <arrow/util/compression.h>
#include <parquet/column_page.h>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>

#include "sabot/io/snappy.h"

namespace {

struct Block {
  std::vector<uint8_t> compressed;
  int64_t length;  // uncompressed
  bool dictionary;  // a dictionary page, else a data page
};

// The Snappy blocks of `path`: each column chunk's bytes are opened as if uncompressed,
// so the page reader hands over each page's bytes as stored.
arrow::Result<std::vector<Block>> ReadBlocks(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(path));
  auto reader = parquet::ParquetFileReader::Open(file);
  auto meta = reader->metadata();
  std::vector<Block> blocks;
  for (int rg = 0; rg < meta->num_row_groups(); ++rg) {
    auto row_group = meta->RowGroup(rg);
    for (int c = 0; c < row_group->num_columns(); ++c) {
      auto chunk = row_group->ColumnChunk(c);
      if (chunk->compression() != parquet::Compression::SNAPPY) continue;
      int64_t start = chunk->data_page_offset();
      if (chunk->has_dictionary_page() && chunk->dictionary_page_offset() > 0) {
        start = std::min(start, chunk->dictionary_page_offset());
      }
      ARROW_ASSIGN_OR_RAISE(auto bytes, file->ReadAt(start, chunk->total_compressed_size()));
      auto pages = parquet::PageReader::Open(std::make_shared<arrow::io::BufferReader>(bytes), chunk->num_values(),
                                             parquet::Compression::UNCOMPRESSED, parquet::default_reader_properties(),
                                             *row_group->schema()->Column(c));
      while (auto page = pages->NextPage()) {
        if (page->type() != parquet::PageType::DICTIONARY_PAGE && page->type() != parquet::PageType::DATA_PAGE) {
          continue;
        }
        Block block{std::vector<uint8_t>(page->data(), page->data() + page->size()), 0,
                    page->type() == parquet::PageType::DICTIONARY_PAGE};
        ARROW_ASSIGN_OR_RAISE(block.length, sabot::SnappyUncompressedLength(page->data(), page->size()));
        blocks.push_back(std::move(block));
      }
    }
  }
  return blocks;
}

int Run(const std::string& path, int rounds) {
  auto read = ReadBlocks(path);
  if (!read.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), read.status().ToString().c_str());
    return 1;
  }
  const std::vector<Block>& blocks = *read;
  int64_t in_bytes = 0, out_bytes = 0, longest = 0;
  for (const auto& b : blocks) {
    in_bytes += static_cast<int64_t>(b.compressed.size());
    out_bytes += b.length;
    longest = std::max(longest, b.length);
  }
  auto codec = arrow::util::Codec::Create(arrow::Compression::SNAPPY).ValueOrDie();
  std::vector<uint8_t> ours(static_cast<size_t>(longest)), theirs(static_cast<size_t>(longest));
  auto sabot_block = [&](const Block& b) {
    return sabot::SnappyUncompress(b.compressed.data(), static_cast<int64_t>(b.compressed.size()), ours.data(),
                                   b.length);
  };
  auto arrow_block = [&](const Block& b) {
    return codec->Decompress(static_cast<int64_t>(b.compressed.size()), b.compressed.data(), b.length, theirs.data())
        .status();
  };
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto a = sabot_block(blocks[i]);
    const auto b = arrow_block(blocks[i]);
    if (!a.ok() || !b.ok() || std::memcmp(ours.data(), theirs.data(), static_cast<size_t>(blocks[i].length)) != 0) {
      std::fprintf(stderr, "block %zu: the decoders disagree (sabot: %s, arrow: %s)\n", i, a.ToString().c_str(),
                   b.ToString().c_str());
      return 1;
    }
  }
  // Decodes the blocks `which` takes (all, dictionary pages, data pages).
  enum class Pages { kAll, kDictionary, kData };
  auto time_all = [&](auto&& decode, Pages which = Pages::kAll) {
    const auto start = std::chrono::steady_clock::now();
    for (const auto& b : blocks) {
      if (which == Pages::kAll || b.dictionary == (which == Pages::kDictionary)) (void)decode(b);
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double best_sabot = 1e30, best_arrow = 1e30, best_dictionary = 1e30, best_data = 1e30;
  for (int r = 0; r < rounds; ++r) {
    best_sabot = std::min(best_sabot, time_all(sabot_block));
    best_arrow = std::min(best_arrow, time_all(arrow_block));
    best_dictionary = std::min(best_dictionary, time_all(sabot_block, Pages::kDictionary));
    best_data = std::min(best_data, time_all(sabot_block, Pages::kData));
  }
  int64_t dictionary_bytes = 0;
  for (const auto& b : blocks) dictionary_bytes += b.dictionary ? b.length : 0;
  std::printf("%zu Snappy blocks, %.1f MB compressed, %.1f MB uncompressed; best of %d rounds, one thread of %u cores\n",
              blocks.size(), static_cast<double>(in_bytes) / 1e6, static_cast<double>(out_bytes) / 1e6, rounds,
              std::thread::hardware_concurrency());
  std::printf("  sabot  %.3f s  %.2f GB/s\n", best_sabot, static_cast<double>(out_bytes) / best_sabot / 1e9);
  std::printf("  arrow  %.3f s  %.2f GB/s\n", best_arrow, static_cast<double>(out_bytes) / best_arrow / 1e9);
  std::printf("  sabot  %.3f s over the dictionary pages (%.1f MB), %.3f s over the data pages (%.1f MB)\n",
              best_dictionary, static_cast<double>(dictionary_bytes) / 1e6, best_data,
              static_cast<double>(out_bytes - dictionary_bytes) / 1e6);
  std::printf("snappy sabot_s=%.3f arrow_s=%.3f ratio_vs_arrow=%.2f\n", best_sabot, best_arrow, best_arrow / best_sabot);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s FILE.parquet [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int rounds = argc == 3 ? std::atoi(argv[2]) : 5;
  if (rounds < 1) {
    std::fprintf(stderr, "ROUNDS must be a positive number, got '%s'\n", argv[2]);
    return 2;
  }
  try {
    return Run(argv[1], rounds);
  } catch (const std::exception& e) {  // Parquet throws for a file that is not Parquet
    std::fprintf(stderr, "%s: %s\n", argv[1], e.what());
    return 1;
  }
}
