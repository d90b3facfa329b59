#include "accompanist/model/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "accompanist/util/cpu_features.h"
#include "accompanist/util/env.h"
#include "accompanist/util/error.h"

namespace acc::model {

std::string resolve_precision(const std::string& requested, const c10::Device& device) {
  if (requested == "fp32" || requested == "bf16") return requested;
  if (requested != "auto") throw Error("precision", "'" + requested + "' is not auto, fp32 or bf16");
  if (device.is_cuda()) return "bf16";
  return util::cpu_has_native_bf16() ? "bf16" : "fp32";
}

std::string default_inference_precision() {
  return util::env_value("ACCOMPANIST_PRECISION").value_or("auto");
}

std::string precision_reason(const c10::Device& device) {
  if (device.is_cuda()) return "CUDA device";
  return "CPU with " + util::cpu_features_string() +
         (util::cpu_has_native_bf16() ? " (native bf16)" : " (no native bf16)");
}

AutocastScope::AutocastScope(const c10::Device& device, const std::string& precision) {
  if (precision != "bf16") return;
  // An enclosing scope already set it up: leave it to that one.
  if (device.is_cuda()) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    if (at::autocast::is_autocast_enabled(at::kCUDA)) return;
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    if (at::autocast::is_enabled()) return;
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
    cuda_ = true;
  } else {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    if (at::autocast::is_autocast_enabled(at::kCPU)) return;
    at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCPU, true);
#else
    if (at::autocast::is_cpu_enabled()) return;
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
#endif
    cpu_ = true;
  }
}

AutocastScope::~AutocastScope() {
  if (!cpu_ && !cuda_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(cpu_ ? at::kCPU : at::kCUDA, false);
#else
  if (cpu_)
    at::autocast::set_cpu_enabled(false);
  else
    at::autocast::set_enabled(false);
#endif
  at::autocast::clear_cache();
}

}  // namespace acc::model
