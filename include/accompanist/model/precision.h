// The precision rule shared by training and generation: bf16 autocast where
// the device computes bf16 natively (a CUDA GPU, or a CPU with AVX512-BF16 or
// AMX-BF16), fp32 elsewhere. Parameters, gradients, optimizer state and the
// loss stay fp32 either way; only the autocast ops (matrix products) run in bf16.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace acc::model {

// requested: "auto", "fp32" or "bf16" -> "fp32" or "bf16" (anything else is an error).
std::string resolve_precision(const std::string& requested, const c10::Device& device);

// The default precision of decoding (GenerationOptions::precision, `accompanist
// generate --precision`, the trainer's samples): ACCOMPANIST_PRECISION
// (auto|fp32|bf16) when set, else "auto". Training itself uses train.precision.
std::string default_inference_precision();

// Why auto picked what it picked, for the log ("CPU with avx512_bf16 amx_bf16", "CUDA", ...).
std::string precision_reason(const c10::Device& device);

// bf16 autocast on `device` for the scope's lifetime when precision is "bf16";
// nothing for "fp32". Scopes do not nest (the outer one owns the state).
class AutocastScope {
 public:
  AutocastScope(const c10::Device& device, const std::string& precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool cpu_ = false, cuda_ = false;
};

}  // namespace acc::model
