#include "accompanist/train/metrics_log.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace acc::train {

MetricsLog::MetricsLog(std::string path, int64_t resume_step) : path_(std::move(path)) {
  std::error_code ec;
  if (resume_step < 0 || !std::filesystem::exists(path_, ec)) return;
  std::istringstream in(util::read_file_text(path_));
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.contains("step")) continue;  // a torn last line
    if (record["step"].get<int64_t>() <= resume_step) kept += line + "\n";
  }
  util::write_file_atomic(path_, kept);
}

void MetricsLog::append(const nlohmann::json& record) const {
  std::ofstream out(path_, std::ios::app);
  out << record.dump() << '\n';
  out.flush();
  if (!out) throw Error(path_, "cannot append metrics (disk full?)");
}

}  // namespace acc::train
