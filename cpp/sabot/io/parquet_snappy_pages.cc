// A Parquet row group whose Snappy pages Sabot decompresses itself.
#include "sabot/io/parquet_snappy_pages.h"

#include <cstring>
#include <string>
#include <utility>

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/memory_pool.h>
#include <parquet/column_page.h>
#include <parquet/column_reader.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/schema.h>

#include "sabot/io/snappy.h"

namespace sabot {
namespace {

// Pages as stored (Arrow's page reader opened as if the chunk were uncompressed parses
// the headers and hands over each page's bytes), each decompressed here into one buffer
// reused from page to page: a page need only live until the next NextPage call, and the
// column reader copies a dictionary page out when it meets one.
class SnappyPageReader final : public parquet::PageReader {
 public:
  SnappyPageReader(std::unique_ptr<parquet::PageReader> stored, std::string column)
      : stored_(std::move(stored)), column_(std::move(column)) {}

  std::shared_ptr<parquet::Page> NextPage() override {
    std::shared_ptr<parquet::Page> page = stored_->NextPage();
    if (page == nullptr) return page;
    switch (page->type()) {
      case parquet::PageType::DICTIONARY_PAGE: {
        const auto& dictionary = static_cast<const parquet::DictionaryPage&>(*page);
        // A dictionary page header carries no uncompressed size; the block's preamble does.
        auto length = SnappyUncompressedLength(page->data(), page->size());
        if (!length.ok()) Throw(length.status());
        return std::make_shared<parquet::DictionaryPage>(Decompress(*page, 0, *length), dictionary.num_values(),
                                                         dictionary.encoding(), dictionary.is_sorted());
      }
      case parquet::PageType::DATA_PAGE: {
        const auto& data = static_cast<const parquet::DataPageV1&>(*page);
        return std::make_shared<parquet::DataPageV1>(
            Decompress(*page, 0, data.uncompressed_size()), data.num_values(), data.encoding(),
            data.definition_level_encoding(), data.repetition_level_encoding(), data.uncompressed_size(),
            data.statistics(), data.first_row_index(), data.size_statistics());
      }
      case parquet::PageType::DATA_PAGE_V2: {
        const auto& data = static_cast<const parquet::DataPageV2&>(*page);
        if (!data.is_compressed()) return page;
        // Version 2 pages store their levels uncompressed ahead of the values.
        const int64_t levels =
            static_cast<int64_t>(data.definition_levels_byte_length()) + data.repetition_levels_byte_length();
        return std::make_shared<parquet::DataPageV2>(
            Decompress(*page, levels, data.uncompressed_size()), data.num_values(), data.num_nulls(),
            data.num_rows(), data.encoding(), data.definition_levels_byte_length(),
            data.repetition_levels_byte_length(), data.uncompressed_size(), /*is_compressed=*/true,
            data.statistics(), data.first_row_index(), data.size_statistics());
      }
      default:
        return page;  // the stored reader skips page types it does not know
    }
  }

  void set_max_page_header_size(uint32_t size) override { stored_->set_max_page_header_size(size); }

 private:
  // The page's first `levels` bytes as they are, the rest decompressed: `size` bytes in all.
  std::shared_ptr<arrow::Buffer> Decompress(const parquet::Page& page, int64_t levels, int64_t size) {
    if (levels < 0 || levels > page.size() || levels > size) {
      Throw(arrow::Status::IOError("page levels of ", levels, " bytes exceed the page"));
    }
    if (buffer_ == nullptr) {
      auto made = arrow::AllocateResizableBuffer(size);
      if (!made.ok()) Throw(made.status());
      buffer_ = std::shared_ptr<arrow::ResizableBuffer>(std::move(made).ValueUnsafe());
    } else if (auto st = buffer_->Resize(size, /*shrink_to_fit=*/false); !st.ok()) {
      Throw(st);
    }
    uint8_t* out = buffer_->mutable_data();
    if (levels > 0) std::memcpy(out, page.data(), static_cast<size_t>(levels));
    auto st = SnappyUncompress(page.data() + levels, page.size() - levels, out + levels, size - levels);
    if (!st.ok()) Throw(st);
    return buffer_;
  }

  [[noreturn]] void Throw(const arrow::Status& st) const {
    throw parquet::ParquetException("column ", column_, ": ", st.message());
  }

  std::unique_ptr<parquet::PageReader> stored_;
  std::string column_;
  std::shared_ptr<arrow::ResizableBuffer> buffer_;
};

class SnappyRowGroupContents final : public parquet::RowGroupReader::Contents {
 public:
  SnappyRowGroupContents(std::shared_ptr<arrow::io::RandomAccessFile> file, int64_t file_size,
                         std::shared_ptr<parquet::FileMetaData> metadata, int row_group)
      : file_(std::move(file)),
        file_size_(file_size),
        metadata_(std::move(metadata)),
        row_group_(metadata_->RowGroup(row_group)),
        // ARROW-10353: parquet-cpp before Arrow 3 wrote compressed version 2 pages
        // flagged as uncompressed; Arrow's own reader makes the same exception.
        always_compressed_(metadata_->writer_version().VersionLt(
            parquet::ApplicationVersion::PARQUET_CPP_10353_FIXED_VERSION())) {}

  std::unique_ptr<parquet::PageReader> GetColumnPageReader(int i) override {
    auto chunk = row_group_->ColumnChunk(i);
    int64_t start = chunk->data_page_offset();
    // Some writers record a dictionary page offset of 0 for "none".
    if (chunk->has_dictionary_page() && chunk->dictionary_page_offset() > 0 &&
        chunk->dictionary_page_offset() < start) {
      start = chunk->dictionary_page_offset();
    }
    const int64_t length = chunk->total_compressed_size();
    const parquet::ColumnDescriptor& column = *row_group_->schema()->Column(i);
    if (start < 0 || length < 0 || start > file_size_ || length > file_size_ - start) {
      throw parquet::ParquetException("column ", column.name(), ": its chunk of bytes [", start, ", ",
                                      start + length, ") lies outside the file of ", file_size_, " bytes");
    }
    PARQUET_ASSIGN_OR_THROW(auto bytes, file_->ReadAt(start, length));
    if (bytes->size() != length) {
      throw parquet::ParquetException("column ", column.name(), ": read ", bytes->size(), " of its ", length,
                                      " bytes");
    }
    auto stream = std::make_shared<arrow::io::BufferReader>(std::move(bytes));
    const bool snappy = chunk->compression() == parquet::Compression::SNAPPY;
    auto pages = parquet::PageReader::Open(std::move(stream), chunk->num_values(),
                                           snappy ? parquet::Compression::UNCOMPRESSED : chunk->compression(),
                                           properties_, column, always_compressed_);
    if (!snappy) return pages;
    return MakeSnappyPageReader(std::move(pages), column.name());
  }

  const parquet::RowGroupMetaData* metadata() const override { return row_group_.get(); }
  const parquet::ReaderProperties* properties() const override { return &properties_; }

 private:
  std::shared_ptr<arrow::io::RandomAccessFile> file_;
  int64_t file_size_;
  std::shared_ptr<parquet::FileMetaData> metadata_;
  std::unique_ptr<parquet::RowGroupMetaData> row_group_;
  bool always_compressed_;
  parquet::ReaderProperties properties_ = parquet::default_reader_properties();
};

}  // namespace

std::unique_ptr<parquet::PageReader> MakeSnappyPageReader(std::unique_ptr<parquet::PageReader> stored,
                                                          std::string column) {
  return std::make_unique<SnappyPageReader>(std::move(stored), std::move(column));
}

namespace {

// Arrow's file contents, but with row groups from MakeSnappyRowGroupReader where it
// takes the file, so every column (those Arrow's record reader decodes too) gets its
// pages through SnappyPageReader.
class SnappyFileContents final : public parquet::ParquetFileReader::Contents {
 public:
  SnappyFileContents(std::unique_ptr<parquet::ParquetFileReader::Contents> arrow_contents,
                     std::shared_ptr<arrow::io::RandomAccessFile> file)
      : arrow_(std::move(arrow_contents)), file_(std::move(file)) {}

  void Close() override { arrow_->Close(); }
  std::shared_ptr<parquet::RowGroupReader> GetRowGroup(int i) override {
    if (auto own = MakeSnappyRowGroupReader(file_, arrow_->metadata(), i)) return own;
    return arrow_->GetRowGroup(i);
  }
  std::shared_ptr<parquet::FileMetaData> metadata() const override { return arrow_->metadata(); }
  std::shared_ptr<parquet::PageIndexReader> GetPageIndexReader() override { return arrow_->GetPageIndexReader(); }
  parquet::BloomFilterReader& GetBloomFilterReader() override { return arrow_->GetBloomFilterReader(); }

 private:
  std::unique_ptr<parquet::ParquetFileReader::Contents> arrow_;
  std::shared_ptr<arrow::io::RandomAccessFile> file_;
};

}  // namespace

std::unique_ptr<parquet::ParquetFileReader> OpenSnappyParquetFile(std::shared_ptr<arrow::io::RandomAccessFile> file,
                                                                  std::shared_ptr<parquet::FileMetaData> footer) {
  auto contents =
      parquet::ParquetFileReader::Contents::Open(file, parquet::default_reader_properties(), std::move(footer));
  auto reader = std::make_unique<parquet::ParquetFileReader>();
  reader->Open(std::make_unique<SnappyFileContents>(std::move(contents), std::move(file)));
  return reader;
}

std::shared_ptr<parquet::RowGroupReader> MakeSnappyRowGroupReader(
    std::shared_ptr<arrow::io::RandomAccessFile> file, std::shared_ptr<parquet::FileMetaData> metadata,
    int row_group) {
  if (file == nullptr || metadata == nullptr || row_group < 0 || row_group >= metadata->num_row_groups()) {
    return nullptr;
  }
  if (metadata->is_encryption_algorithm_set() ||
      metadata->writer_version().VersionLt(parquet::ApplicationVersion::PARQUET_816_FIXED_VERSION())) {
    return nullptr;
  }
  auto size = file->GetSize();
  if (!size.ok()) return nullptr;
  try {
    auto chunks = metadata->RowGroup(row_group);
    for (int c = 0; c < chunks->num_columns(); ++c) {
      if (chunks->ColumnChunk(c)->crypto_metadata() != nullptr) return nullptr;
    }
  } catch (const std::exception&) {
    return nullptr;  // Arrow's reader meets the same problem and reports it
  }
  return std::make_shared<parquet::RowGroupReader>(
      std::make_unique<SnappyRowGroupContents>(std::move(file), *size, std::move(metadata), row_group));
}

}  // namespace sabot
