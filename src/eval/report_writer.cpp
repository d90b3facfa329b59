#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "accompanist/eval/report.h"
#include "accompanist/util/env.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

extern char** environ;

namespace acc::eval {

namespace fs = std::filesystem;

namespace {

// The option when given, else the environment's default (the same variables
// as prep's plot), else the build's.
std::string plot_python(const ReportOptions& options) {
  if (!options.python.empty()) return options.python;
  return util::env_value("ACCOMPANIST_PYTHON").value_or(ACC_PLOT_PYTHON);
}

std::string plot_script(const ReportOptions& options) {
  if (!options.script.empty()) return options.script;
  if (const std::optional<std::string> dir = util::env_value("ACCOMPANIST_SCRIPTS_DIR"))
    return *dir + "/plot_evaluation.py";
  return ACC_PLOT_SCRIPT;
}

// Runs argv[0] with its arguments (no shell) and returns the exit status, or
// -1 when it could not be started.
int run_program(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const bool has_slash = args[0].find('/') != std::string::npos;
  const int rc = has_slash ? posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ)
                           : posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool draw_plots(const ReportFiles& files, const ReportOptions& options) {
  const std::string python = plot_python(options);
  const std::string script = plot_script(options);
  std::error_code ec;
  if (!fs::exists(script, ec)) {
    spdlog::warn("plots skipped: {} not found (set ACCOMPANIST_SCRIPTS_DIR)", script);
    return false;
  }
  if (python.find('/') != std::string::npos && access(python.c_str(), X_OK) != 0) {
    spdlog::warn("plots skipped: {} is not an executable Python (set ACCOMPANIST_PYTHON)", python);
    return false;
  }
  const int status = run_program(
      {python, script, "--report", files.report_json, "--plot-data", files.plot_data, "--out", files.plots_dir});
  if (status != 0) {
    spdlog::warn("plots skipped: {} {} exited with status {} (the numbers in report.json are complete)", python, script,
                 status);
    return false;
  }
  return true;
}

}  // namespace

ReportFiles write_report(const Evaluation& evaluation, const std::string& out_dir, const ReportOptions& options) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  ACC_CHECK(!ec && fs::is_directory(out_dir), out_dir,
            "cannot create the output directory" + (ec ? ": " + ec.message() : std::string()));
  ReportFiles files;
  files.report_json = (fs::path(out_dir) / "report.json").string();
  files.report_md = (fs::path(out_dir) / "report.md").string();
  files.plot_data = (fs::path(out_dir) / "plot_data.json").string();
  files.plots_dir = (fs::path(out_dir) / "plots").string();
  // plot_data and report.md first: report.json appears last, complete.
  util::write_file_atomic(files.plot_data, evaluation.plot_data.dump() + "\n");
  util::write_file_atomic(files.report_md, render_markdown(evaluation.report));
  util::write_file_atomic(files.report_json, evaluation.report.dump(1) + "\n");
  if (options.plots) files.plots_written = draw_plots(files, options);
  if (options.html) {
    files.report_html = (fs::path(out_dir) / "report.html").string();
    util::write_file_atomic(files.report_html, render_html(evaluation.report, evaluation.page, files.plots_dir, out_dir,
                                                           options.samples_dir));
  }
  return files;
}

}  // namespace acc::eval
