# Every third-party dependency, found once. Nothing is vendored: scripts/setup.sh
# installs the Debian packages that provide these.
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(MPI REQUIRED COMPONENTS C)

include(${CMAKE_CURRENT_LIST_DIR}/TorchChecks.cmake)

if(ACC_WITH_TORCH)
  find_package(Torch REQUIRED)
  # Torch's flags include -D_GLIBCXX_USE_CXX11_ABI; keep them off non-torch targets.
  message(STATUS "accompanist: LibTorch ${Torch_VERSION} (${Torch_DIR})")
  acc_check_torch_abi("${TORCH_CXX_FLAGS}" "${Torch_VERSION}" "${Torch_DIR}")
endif()

# CUDA: on when the LibTorch found was built with it.
set(ACC_CUDA_ENABLED OFF)
if(ACC_WITH_TORCH AND NOT ACC_WITH_CUDA STREQUAL "OFF")
  if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES OR CUDA_FOUND)
    set(ACC_CUDA_ENABLED ON)
  elseif(ACC_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "ACC_WITH_CUDA=ON but the LibTorch found has no CUDA")
  endif()
endif()
message(STATUS "accompanist: CUDA ${ACC_CUDA_ENABLED}")

# NCCL: header and library, searched in NCCL_ROOT, the usual places, and pip's
# nvidia-nccl-cu* package beside the torch package found.
set(ACC_NCCL_ENABLED OFF)
set(acc_nccl_hints "")
if(ACC_CUDA_ENABLED AND NOT ACC_WITH_NCCL STREQUAL "OFF")
  find_package(Python3 COMPONENTS Interpreter)
  set(acc_sites "")
  if(Python3_EXECUTABLE)
    execute_process(COMMAND ${Python3_EXECUTABLE} -c "import site; print(';'.join(site.getsitepackages()))"
                    OUTPUT_VARIABLE acc_sites OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  acc_nccl_hint_dirs(acc_nccl_hints "${Torch_DIR}" ${acc_sites})
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS $ENV{NCCL_ROOT} ${NCCL_ROOT} ${acc_nccl_hints} PATH_SUFFIXES include)
  find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2 HINTS $ENV{NCCL_ROOT} ${NCCL_ROOT} ${acc_nccl_hints}
               PATH_SUFFIXES lib lib64)
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(ACC_NCCL_ENABLED ON)
  endif()
endif()
acc_nccl_outcome(acc_level acc_msg "${ACC_CUDA_ENABLED}" "${ACC_WITH_NCCL}" "${ACC_NCCL_ENABLED}" "${acc_nccl_hints}")
if(acc_level STREQUAL "FATAL_ERROR" OR acc_level STREQUAL "WARNING")
  message(${acc_level} "accompanist: ${acc_msg}")
endif()
if(ACC_NCCL_ENABLED)
  message(STATUS "accompanist: NCCL ${NCCL_LIBRARY} (${NCCL_INCLUDE_DIR})")
endif()
message(STATUS "accompanist: NCCL ${ACC_NCCL_ENABLED}")

if(ACC_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(ACC_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# HDF5 as an imported target (CMake 3.25's FindHDF5 may not define hdf5::hdf5).
if(NOT TARGET acc_hdf5)
  add_library(acc_hdf5 INTERFACE)
  target_include_directories(acc_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
  target_link_libraries(acc_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
  target_compile_definitions(acc_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})
endif()

find_package(Python3 COMPONENTS Interpreter)
# Reference scripts need Debian's python3 (python3-torch, python3-mido, ...).
find_program(ACC_REFERENCE_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(ACC_MPIEXEC NAMES mpirun mpiexec)
