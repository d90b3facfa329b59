#include "accompanist/util/cpu_features.h"

#include <optional>

#include "accompanist/util/env.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace acc::util {

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const unsigned max_subleaf = eax;
  f.avx512f = (ebx >> 16) & 1u;
  f.amx_bf16 = (edx >> 22) & 1u;
  f.amx_tile = (edx >> 24) & 1u;
  if (max_subleaf >= 1) {
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    f.avx512_bf16 = (eax >> 5) & 1u;
  }
#endif
  return f;
}

bool cpu_has_native_bf16() {
  if (const std::optional<std::string> env = env_value("ACCOMPANIST_NATIVE_BF16")) return *env != "0";
  const CpuFeatures f = cpu_features();
  return f.avx512_bf16 || f.amx_bf16;
}

std::string cpu_features_string() {
  const CpuFeatures f = cpu_features();
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx512f, "avx512f");
  add(f.avx512_bf16, "avx512_bf16");
  add(f.amx_bf16, "amx_bf16");
  add(f.amx_tile, "amx_tile");
  return s.empty() ? "none" : s;
}

}  // namespace acc::util
