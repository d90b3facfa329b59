# Configure-time checks of the LibTorch / CUDA / NCCL combination found.
# Functions only (no side effects when included), so that
# tests/cmake/torch_checks_test.cmake can run them with `cmake -P`.

# acc_torch_abi_problem(<out> <TORCH_CXX_FLAGS> <Torch_VERSION> <Torch_DIR>)
# <out> is "" when the LibTorch found uses the new C++ ABI, else why it
# cannot be used. pip wheels before PyTorch 2.7 were built with
# _GLIBCXX_USE_CXX11_ABI=0, while Debian's fmt, spdlog and yaml-cpp (and
# every other C++ library of the distribution) use the new ABI: std::string
# in their interfaces would not link (undefined std::__cxx11 symbols).
function(acc_torch_abi_problem out flags version dir)
  set(problem "")
  if(flags MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
    set(problem
        "LibTorch ${version} (${dir}) uses the old C++ ABI (_GLIBCXX_USE_CXX11_ABI=0, as pip wheels before PyTorch 2.7 do), but fmt, spdlog, yaml-cpp and the other C++ libraries use the new one: linking would fail. Use a PyTorch >= 2.7 wheel, the cxx11-ABI LibTorch archive, or Debian's libtorch-dev (point CMAKE_PREFIX_PATH or Torch_DIR at it)")
  endif()
  set(${out} "${problem}" PARENT_SCOPE)
endfunction()

function(acc_check_torch_abi flags version dir)
  acc_torch_abi_problem(problem "${flags}" "${version}" "${dir}")
  if(problem)
    message(FATAL_ERROR "accompanist: ${problem}")
  endif()
endfunction()

# acc_nccl_hint_dirs(<out> <Torch_DIR> [<site-packages dir>...])
# NCCL from pip (nvidia-nccl-cu11/cu12/cu13) lives in
# <site-packages>/nvidia/nccl/{include,lib}, beside the torch package whose
# CMake files are in <site-packages>/torch/share/cmake/Torch. <out> lists
# those that hold nccl.h, for find_path/find_library HINTS.
function(acc_nccl_hint_dirs out torch_dir)
  set(sites ${ARGN})
  if(torch_dir MATCHES "^(.*)/torch/share/cmake/Torch/?$")
    list(PREPEND sites "${CMAKE_MATCH_1}")
  endif()
  set(hints "")
  foreach(site IN LISTS sites)
    if(EXISTS "${site}/nvidia/nccl/include/nccl.h")
      list(APPEND hints "${site}/nvidia/nccl")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES hints)
  set(${out} "${hints}" PARENT_SCOPE)
endfunction()

# acc_nccl_outcome(<level_out> <message_out> <cuda> <ACC_WITH_NCCL> <nccl found> <hints>)
# What to say about NCCL: "" (nothing to say), STATUS, WARNING (CUDA on but
# NCCL off unasked: multi-GPU training would silently fall back to MPI over
# host memory) or FATAL_ERROR (ACC_WITH_NCCL=ON and not found).
function(acc_nccl_outcome level_out message_out cuda option found hints)
  set(level "")
  set(msg "")
  if(found)
    set(level STATUS)
    set(msg "NCCL found")
  elseif(option STREQUAL "ON")
    set(level FATAL_ERROR)
    if(NOT cuda)
      set(msg "ACC_WITH_NCCL=ON but this build has no CUDA (the LibTorch found has none, or ACC_WITH_CUDA=OFF)")
    else()
      set(msg "ACC_WITH_NCCL=ON but nccl.h / libnccl were not found; set NCCL_ROOT to the NCCL installation")
    endif()
  elseif(cuda AND NOT option STREQUAL "OFF")
    set(level WARNING)
    set(msg "CUDA is on but NCCL was not found: the NCCL backend is left out, so several GPUs can only train with dist.backend mpi on the CPU. Set NCCL_ROOT to the NCCL installation (pip: <site-packages>/nvidia/nccl), or -DACC_WITH_NCCL=OFF to build without it knowingly")
  endif()
  if(msg AND hints AND NOT found)
    string(APPEND msg " (candidates: ${hints})")
  endif()
  set(${level_out} "${level}" PARENT_SCOPE)
  set(${message_out} "${msg}" PARENT_SCOPE)
endfunction()
