// Tests for ParquetReadError and ParquetExceptionStatus: a corrupt file is named as such,
// a machine short of memory is not.
#include <new>
#include <stdexcept>

#include <gtest/gtest.h>
#include <parquet/exception.h>

#include "sabot/io/parquet_read_error.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

TEST(ParquetReadError, AFileProblemNamesTheFileAsNotValidParquet) {
  const Status st = ParquetReadError(Status::IOError("Unexpected end of stream"), "/data/a.parquet");
  EXPECT_TRUE(st.IsIOError());
  EXPECT_EQ(st.message(),
            "/data/a.parquet: not a valid Parquet file (truncated or corrupt): Unexpected end of stream");
}

TEST(ParquetReadError, ResourceErrorsKeepTheirCodeAndGainOnlyThePath) {
  const Status oom = ParquetReadError(Status::OutOfMemory("malloc of size 64 failed"), "a.parquet");
  EXPECT_TRUE(oom.IsOutOfMemory()) << oom.ToString();
  EXPECT_EQ(oom.message(), "a.parquet: malloc of size 64 failed");

  const Status capacity = ParquetReadError(Status::CapacityError("array cannot contain more than 2^31 bytes"), "b.parquet");
  EXPECT_TRUE(capacity.IsCapacityError()) << capacity.ToString();
  EXPECT_EQ(capacity.message().find("not a valid Parquet"), std::string::npos);

  EXPECT_TRUE(ParquetReadError(Status::Cancelled("job stopped"), "c.parquet").IsCancelled());
}

TEST(ParquetExceptionStatus, KeepsTheStatusParquetThrewWith) {
  const Status st = ParquetExceptionStatus(parquet::ParquetStatusException(Status::OutOfMemory("pool exhausted")));
  EXPECT_TRUE(st.IsOutOfMemory()) << st.ToString();
  EXPECT_HAS_SUBSTR(st.message(), "pool exhausted");
  EXPECT_TRUE(ParquetReadError(st, "a.parquet").IsOutOfMemory());

  const Status corrupt =
      ParquetExceptionStatus(parquet::ParquetInvalidOrCorruptedFileException(Status::IOError("bad page header")));
  EXPECT_HAS_SUBSTR(ParquetReadError(corrupt, "a.parquet").message(), "a.parquet: not a valid Parquet file");
}

TEST(ParquetExceptionStatus, AFailedAllocationIsOutOfMemory) {
  const Status st = ParquetExceptionStatus(std::bad_alloc());
  EXPECT_TRUE(st.IsOutOfMemory()) << st.ToString();
  EXPECT_TRUE(ParquetReadError(st, "a.parquet").IsOutOfMemory());
}

TEST(ParquetExceptionStatus, AnyOtherExceptionIsAnIOErrorWithItsMessage) {
  const Status st = ParquetExceptionStatus(parquet::ParquetException("Corrupted RLE levels"));
  EXPECT_TRUE(st.IsIOError());
  EXPECT_EQ(st.message(), "Corrupted RLE levels");
  EXPECT_TRUE(ParquetExceptionStatus(std::runtime_error("x")).IsIOError());
}

}  // namespace
}  // namespace sabot
