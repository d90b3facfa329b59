// metrics.jsonl (SPEC section 9): one JSON object per line,
// {"step", "split", "loss", "lr", "tokens_per_s", "time_s", ...extras}.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace acc::train {

class MetricsLog {
 public:
  // On resume from `resume_step`, lines of later steps (written after that
  // checkpoint by the interrupted run) are dropped, so the file reads as one run.
  MetricsLog(std::string path, int64_t resume_step);

  void append(const nlohmann::json& record) const;  // one line, flushed
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace acc::train
