# Helpers that keep every target's settings in one place.

set(ACC_WARNINGS -Wall -Wextra -Wno-unused-parameter)

# acc_library(NAME SOURCES ... DEPS ...): one static library per stage.
function(acc_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                     PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${ACC_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# acc_test(NAME SOURCES ... LIBS ... [LABELS label]): a GoogleTest binary, each
# test registered with ctest; ACC_SOURCE_DIR and ACC_BINARY_DIR are compiled in
# so tests find tests/data and build/bin.
function(acc_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_compile_options(${name} PRIVATE ${ACC_WARNINGS})
  target_compile_definitions(${name} PRIVATE ACC_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             ACC_BINARY_DIR="${CMAKE_BINARY_DIR}"
                                             ACC_REFERENCE_PYTHON="${ACC_REFERENCE_PYTHON}")
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest_main GTest::gmock)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # One label per binary: gtest_discover_tests (CMake 3.25) splits a label
  # list into separate property arguments.
  list(LENGTH ARG_LABELS n_labels)
  if(n_labels GREATER 1)
    message(FATAL_ERROR "acc_test(${name}): give one label, not ${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()
