# Locates Arrow C++ (arrow, compute, parquet, flight): a system Arrow when CMake finds
# one, else the libraries and headers bundled in the project's pinned pyarrow wheel.
# Defines imported targets sabot::arrow, sabot::arrow_compute, sabot::parquet,
# sabot::arrow_flight and the variable SABOT_ARROW_LIBDIR (for RPATH).

find_package(Arrow QUIET CONFIG)
find_package(Parquet QUIET CONFIG)
find_package(ArrowCompute QUIET CONFIG)
if(Arrow_FOUND AND Parquet_FOUND AND ArrowCompute_FOUND AND NOT SABOT_FORCE_PYARROW)
  message(STATUS "Arrow: system ${ARROW_VERSION}")
  add_library(sabot::arrow ALIAS Arrow::arrow_shared)
  add_library(sabot::arrow_compute ALIAS ArrowCompute::arrow_compute_shared)
  add_library(sabot::parquet ALIAS Parquet::parquet_shared)
  find_package(ArrowFlight QUIET CONFIG)
  if(ArrowFlight_FOUND)
    add_library(sabot::arrow_flight ALIAS ArrowFlight::arrow_flight_shared)
  endif()
  set(SABOT_ARROW_LIBDIR "")
  return()
endif()

if(NOT SABOT_PYTHON)
  set(SABOT_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python")
endif()
execute_process(
  COMMAND "${SABOT_PYTHON}" -c
    "import pyarrow as pa; pa.create_library_symlinks(); print(pa.__version__); print(pa.get_include()); print(pa.get_library_dirs()[0])"
  OUTPUT_VARIABLE _pa_out RESULT_VARIABLE _pa_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "No system Arrow and no pyarrow in ${SABOT_PYTHON}: run scripts/setup.sh first")
endif()
string(REPLACE "\n" ";" _pa_out "${_pa_out}")
list(GET _pa_out 0 SABOT_PYARROW_VERSION)
list(GET _pa_out 1 _pa_include)
list(GET _pa_out 2 SABOT_ARROW_LIBDIR)
message(STATUS "Arrow: from pyarrow ${SABOT_PYARROW_VERSION} (${SABOT_ARROW_LIBDIR})")

function(_sabot_pyarrow_lib target libname)
  find_library(_lib_${libname} NAMES ${libname} PATHS "${SABOT_ARROW_LIBDIR}" NO_DEFAULT_PATH REQUIRED)
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${_lib_${libname}}"
    INTERFACE_INCLUDE_DIRECTORIES "${_pa_include}")
endfunction()
_sabot_pyarrow_lib(sabot::arrow arrow)
_sabot_pyarrow_lib(sabot::arrow_compute arrow_compute)
_sabot_pyarrow_lib(sabot::parquet parquet)
_sabot_pyarrow_lib(sabot::arrow_flight arrow_flight)
# Headers of a dependency are not ours to warn about.
set_target_properties(sabot::arrow PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_pa_include}")
