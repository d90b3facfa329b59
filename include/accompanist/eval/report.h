// Writing an evaluation: report.json (atomically), report.md (tables that
// mirror the thesis's Table 2 and Figs. 14-17), plot_data.json, and the plots
// drawn by scripts/plot_evaluation.py under plots/. The numbers never depend
// on the plots: when Python, matplotlib or the script is missing or fails,
// a warning is logged and the rest is written.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "accompanist/eval/evaluation.h"

namespace acc::eval {

struct ReportOptions {
  bool plots = true;
  // Empty: $ACC_PLOT_PYTHON, else /usr/bin/python3 (Debian's, with matplotlib).
  std::string python;
  // Empty: $ACC_PLOT_SCRIPT, else scripts/plot_evaluation.py of the source tree.
  std::string script;
};

// The markdown report of a report.json object.
std::string render_markdown(const nlohmann::ordered_json& report);

struct ReportFiles {
  std::string report_json, report_md, plot_data;
  bool plots_written = false;
  std::string plots_dir;
};

// Creates out_dir if needed and writes everything into it. Throws acc::Error
// when a file cannot be written; plotting problems only warn.
ReportFiles write_report(const Evaluation& evaluation, const std::string& out_dir, const ReportOptions& options);

}  // namespace acc::eval
