// Calendar dates from day numbers: the proleptic Gregorian calendar, counted in
// 400-year eras from 0000-03-01 so that each era's leap days come at its years' ends
// (the days-to-civil method H. Hinnant published). Writers that format dates share it.
#pragma once

#include <cstdint>

namespace sabot {

struct CivilDate {
  int64_t year;
  int64_t month;  //!< 1..12
  int64_t day;    //!< 1..31
};

//! The date `days` after 1970-01-01 (negative: before it).
inline CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;  // days since 0000-03-01
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace sabot
