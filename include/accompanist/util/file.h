// File helpers: bounded reads and atomic writes (temporary name, then rename),
// so that an interrupted write never leaves a complete-looking output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace acc::util {

// Reads a whole regular file. Throws acc::Error("<path>", reason) when it is
// missing, a directory, unreadable or larger than max_bytes.
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes = uint64_t(1) << 30);
std::string read_file_text(const std::string& path, uint64_t max_bytes = uint64_t(1) << 30);

// Writes bytes to "<path>.tmp-<pid>", fsyncs, then renames onto path.
void write_file_atomic(const std::string& path, std::string_view bytes);

// For writers that need a path (HDF5, torch::save): write to temp_path(), then
// commit() renames it onto the final path. Destroyed uncommitted, it removes
// the temporary file or directory.
class AtomicPath {
 public:
  explicit AtomicPath(std::string final_path);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  void commit();

 private:
  std::string final_;
  std::string temp_;
  bool committed_ = false;
};

}  // namespace acc::util
