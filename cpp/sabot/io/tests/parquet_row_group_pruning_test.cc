// RowGroupPruning: which row groups a predicate skips from their statistics, for each
// kind of column that gives a guarantee (integers, dates, timestamps, strings), for
// nulls, and never for floating point columns (NaN is outside their statistics).
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "sabot/io/parquet_row_group_pruning.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::TempDir;

constexpr int kRowGroups = 8;
constexpr int kGroupRows = 1000;

// 8 row groups of 1000 rows, i = 0..7999: t = i (int64), i32 = i (int32), d the date
// 2020-01-01 plus i / 100 days, ts = i seconds (timestamp[s] stored as ms by Parquet:
// so read as ms here), s = "k" and i / 10 in five digits, f = i / 2.0, n null in the
// first four row groups and i in the others.
std::shared_ptr<arrow::Table> Input() {
  arrow::Int64Builder t, ts_values;
  arrow::Int32Builder i32, n;
  arrow::Date32Builder d;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MILLI), arrow::default_memory_pool());
  arrow::StringBuilder s;
  arrow::DoubleBuilder f;
  for (int i = 0; i < kRowGroups * kGroupRows; ++i) {
    EXPECT_TRUE(t.Append(i).ok());
    EXPECT_TRUE(i32.Append(i).ok());
    EXPECT_TRUE(d.Append(18262 + i / 100).ok());
    EXPECT_TRUE(ts.Append(int64_t{i} * 1000).ok());
    char key[16];
    std::snprintf(key, sizeof(key), "k%05d", i / 10);
    EXPECT_TRUE(s.Append(key).ok());
    EXPECT_TRUE(f.Append(i / 2.0).ok());
    EXPECT_TRUE((i < 4 * kGroupRows ? n.AppendNull() : n.Append(i)).ok());
  }
  auto schema = arrow::schema({arrow::field("t", arrow::int64()), arrow::field("i32", arrow::int32()),
                               arrow::field("d", arrow::date32()),
                               arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MILLI)),
                               arrow::field("s", arrow::utf8()), arrow::field("f", arrow::float64()),
                               arrow::field("n", arrow::int32())});
  return arrow::Table::Make(schema, {*t.Finish(), *i32.Finish(), *d.Finish(), *ts.Finish(), *s.Finish(), *f.Finish(),
                                     *n.Finish()});
}

class RowGroupPruningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = Input();
    path_ = dir_.File("sorted.parquet");
    auto out = *arrow::io::FileOutputStream::Open(path_);
    ASSERT_TRUE(parquet::arrow::WriteTable(*table_, arrow::default_memory_pool(), out, kGroupRows).ok());
    ASSERT_TRUE(out->Close().ok());
    meta_ = parquet::ParquetFileReader::OpenFile(path_)->metadata();
    ASSERT_EQ(meta_->num_row_groups(), kRowGroups);
  }

  // The row groups `predicate` reads (does not skip), as a string of their numbers.
  std::string Kept(const Expr& predicate) {
    std::vector<int> leaves;
    for (int i = 0; i < table_->num_columns(); ++i) leaves.push_back(i);
    auto pruning = RowGroupPruning::Make(predicate, table_->schema(), leaves);
    std::string kept;
    for (int rg = 0; rg < kRowGroups; ++rg) {
      if (pruning == nullptr || !pruning->NoRowPasses(*meta_->RowGroup(rg))) kept += std::to_string(rg);
    }
    return kept;
  }

  TempDir dir_;
  std::string path_;
  std::shared_ptr<arrow::Table> table_;
  std::shared_ptr<parquet::FileMetaData> meta_;
};

TEST_F(RowGroupPruningTest, IntegerComparisons) {
  EXPECT_EQ(Kept(col("t") > lit(int64_t{5500})), "567");
  EXPECT_EQ(Kept(col("t") >= lit(int64_t{6000})), "67");
  EXPECT_EQ(Kept(col("t") == lit(int64_t{123})), "0");
  EXPECT_EQ(Kept(col("t") < lit(int64_t{0})), "");
  EXPECT_EQ(Kept(col("t") >= lit(int64_t{2500}) && col("t") < lit(int64_t{4000})), "23");
  EXPECT_EQ(Kept(col("t") < lit(int64_t{1000}) || col("t") >= lit(int64_t{7000})), "07");
  EXPECT_EQ(Kept(!(col("t") < lit(int64_t{7000}))), "7");
  EXPECT_EQ(Kept(col("t") != lit(int64_t{5})), "01234567");  // no row group holds only 5
  EXPECT_EQ(Kept(col("i32") > lit(int32_t{6999})), "7");
  EXPECT_EQ(Kept(col("i32") > lit(int64_t{6999})), "7");  // a wider literal, as Python gives
  EXPECT_EQ(Kept(col("t") > lit(6999.5)), "7");
}

TEST_F(RowGroupPruningTest, DatesTimestampsAndStrings) {
  // 2020-01-01 is day 18262; the dates reach it plus 79.
  EXPECT_EQ(Kept(col("d") >= Expr::Literal(std::make_shared<arrow::Date32Scalar>(18262 + 75))), "7");
  EXPECT_EQ(Kept(col("ts") < Expr::Literal(std::make_shared<arrow::TimestampScalar>(1'500'000, arrow::timestamp(arrow::TimeUnit::MILLI)))), "01");
  EXPECT_EQ(Kept(col("s") >= lit("k00700")), "7");
  EXPECT_EQ(Kept(col("s") == lit("k00150")), "1");
  EXPECT_EQ(Kept(col("s") < lit("a")), "");
}

TEST_F(RowGroupPruningTest, Nulls) {
  // n is null throughout row groups 0-3 and never null in 4-7.
  EXPECT_EQ(Kept(col("n") > lit(int32_t{0})), "4567");
  EXPECT_EQ(Kept(Expr::Call("is_null", {col("n")})), "0123");
  EXPECT_EQ(Kept(Expr::Call("is_valid", {col("n")}) && col("t") < lit(int64_t{5000})), "4");
}

TEST_F(RowGroupPruningTest, FloatingPointAndUndecidablePredicatesReadEverything) {
  EXPECT_EQ(Kept(col("f") > lit(1e9)), "01234567");
  EXPECT_EQ(Kept(col("f") > lit(1e9) || col("t") > lit(int64_t{7500})), "01234567");
  // A conjunct that decides is enough, whatever the other.
  EXPECT_EQ(Kept(col("f") > lit(1e9) && col("t") > lit(int64_t{7500})), "7");
  EXPECT_EQ(Kept(col("t") > col("i32")), "01234567");
  EXPECT_EQ(Kept(lit(true)), "01234567");
}

}  // namespace
}  // namespace sabot
