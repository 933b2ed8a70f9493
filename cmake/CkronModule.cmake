# Helpers that keep every module's CMakeLists.txt to a few lines and make the
# dependency graph explicit: one static library per module, linked to exactly
# the modules (and third-party targets) it uses.

set(CKRON_SRC_ROOT "${PROJECT_SOURCE_DIR}/src")

add_library(ckron_warnings INTERFACE)
target_compile_options(ckron_warnings INTERFACE
  -Wall -Wextra -Wconversion -Wnon-virtual-dtor -Wimplicit-fallthrough
  -Wno-missing-field-initializers  # designated initializers of options structs
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>
  $<$<BOOL:${CKRON_WERROR}>:-Werror>)
# Boost 1.74 + g++ 12 in C++20 needs <utility> before any asio header
# (reference/deps.md §3); harmless everywhere else.
target_compile_options(ckron_warnings INTERFACE "SHELL:-include utility")

if(CKRON_SANITIZE)
  add_compile_options(-fsanitize=${CKRON_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${CKRON_SANITIZE})
endif()

# ckron_module(<name> SOURCES ... [DEPS ...])
#   Defines the static library ckron_<name> from src/<name>/. Headers are
#   included as "<name>/<file>.h" from anywhere.
function(ckron_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(ckron_${name} STATIC ${M_SOURCES})
  target_include_directories(ckron_${name} PUBLIC ${CKRON_SRC_ROOT})
  target_link_libraries(ckron_${name} PUBLIC ${M_DEPS} PRIVATE ckron_warnings)
endfunction()

# ckron_test(<name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s] [ONE_PROCESS])
#   A GoogleTest binary registered with CTest; every TEST becomes one CTest
#   test so failures are reported by name. Default label: unit.
#   ONE_PROCESS: the whole binary is one CTest test instead, so its tests
#   share what the process starts once (a cluster of real agents that takes
#   seconds to form); gtest's output still names each failure.
function(ckron_test name)
  if(NOT CKRON_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "ONE_PROCESS" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock
                        GTest::gtest_main ckron_warnings)
  if(T_ONE_PROCESS)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
  else()
    include(GoogleTest)
    gtest_discover_tests(${name}
      DISCOVERY_MODE PRE_TEST
      PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
  endif()
  if("unit" IN_LIST T_LABELS)
    set_property(GLOBAL APPEND PROPERTY CKRON_UNIT_TESTS ${name})
  endif()
endfunction()

# ckron_fuzzer(<name> SOURCES ... DEPS ...)
#   A libFuzzer target, built only with -DCKRON_BUILD_FUZZ=ON and clang
#   (the "fuzz" preset); tools/fuzz.sh runs them.
function(ckron_fuzzer name)
  if(NOT CKRON_BUILD_FUZZ)
    return()
  endif()
  cmake_parse_arguments(F "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${F_DEPS} ckron_warnings)
  set_property(GLOBAL APPEND PROPERTY CKRON_FUZZERS ${name})
endfunction()
