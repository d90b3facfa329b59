#include "accompanist/util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "accompanist/util/error.h"

namespace acc::util {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// Opens a regular file for reading and returns its size; throws on anything else.
int open_regular(const std::string& path, uint64_t max_bytes, uint64_t* size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(path, errno == ENOENT ? "no such file" : errno_text());
  if (S_ISDIR(st.st_mode)) throw Error(path, "is a directory");
  if (!S_ISREG(st.st_mode)) throw Error(path, "not a regular file");
  if (uint64_t(st.st_size) > max_bytes)
    throw Error(path,
                "file too large (" + std::to_string(st.st_size) + " bytes, limit " + std::to_string(max_bytes) + ")");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path, errno_text());
  *size = uint64_t(st.st_size);
  return fd;
}

template <class Buffer>
Buffer read_all(const std::string& path, uint64_t max_bytes) {
  uint64_t size = 0;
  int fd = open_regular(path, max_bytes, &size);
  Buffer out(size, 0);
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, reinterpret_cast<char*>(&out[0]) + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw Error(path, std::strerror(e));
    }
    if (n == 0) break;  // shrank while reading
    done += uint64_t(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

std::string temp_name_for(const std::string& path) {
  return path + ".tmp-" + std::to_string(::getpid());
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  return read_all<std::vector<uint8_t>>(path, max_bytes);
}

std::string read_file_text(const std::string& path, uint64_t max_bytes) {
  return read_all<std::string>(path, max_bytes);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = temp_name_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path, "cannot create: " + errno_text());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(path, std::string("write failed: ") + std::strerror(e));
    }
    done += size_t(n);
  }
  // close() also on a failed fsync (no leaked descriptor); the first error wins.
  int e = ::fsync(fd) != 0 ? errno : 0;
  if (::close(fd) != 0 && e == 0) e = errno;
  if (e != 0) {
    ::unlink(tmp.c_str());
    throw Error(path, std::string("write failed: ") + std::strerror(e));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(path, std::string("rename failed: ") + std::strerror(e));
  }
}

AtomicPath::AtomicPath(std::string final_path) : final_(std::move(final_path)), temp_(temp_name_for(final_)) {
  std::error_code ec;
  std::filesystem::remove_all(temp_, ec);  // a leftover from a killed run with the same pid
}

AtomicPath::~AtomicPath() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove_all(temp_, ec);
  }
}

void AtomicPath::commit() {
  std::error_code ec;
  if (std::filesystem::is_directory(final_, ec) && std::filesystem::is_directory(temp_, ec)) {
    // rename(2) cannot replace a non-empty directory: move the old one aside first.
    const std::string old = final_ + ".old-" + std::to_string(::getpid());
    std::filesystem::rename(final_, old, ec);
    if (ec) throw Error(final_, "cannot replace: " + ec.message());
    std::filesystem::rename(temp_, final_, ec);
    if (ec) throw Error(final_, "rename failed: " + ec.message());
    std::filesystem::remove_all(old, ec);
  } else {
    std::filesystem::rename(temp_, final_, ec);
    if (ec) throw Error(final_, "rename failed: " + ec.message());
  }
  committed_ = true;
}

}  // namespace acc::util
