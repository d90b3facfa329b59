// What this CPU does natively that the speed of training depends on. No
// LibTorch here: cpuid, so the answer is the same wherever it is asked.
#pragma once

#include <string>

namespace acc::util {

struct CpuFeatures {
  bool avx512f = false;
  bool avx512_bf16 = false;  // cpuid leaf 7 subleaf 1, EAX bit 5
  bool amx_bf16 = false;     // cpuid leaf 7 subleaf 0, EDX bit 22
  bool amx_tile = false;     // cpuid leaf 7 subleaf 0, EDX bit 24
};

CpuFeatures cpu_features();

// bf16 matrix products in hardware (AVX512-BF16 or AMX-BF16). The environment
// variable ACCOMPANIST_NATIVE_BF16=0|1 overrides the answer (tests of the
// precision rule on either kind of machine).
bool cpu_has_native_bf16();

// "avx512f avx512_bf16 amx_bf16 amx_tile" (the ones present), for logs and benchmarks.
std::string cpu_features_string();

}  // namespace acc::util
