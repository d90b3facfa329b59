// A small RAII layer over the HDF5 C API: owned handles, typed whole-dataset
// reads and writes, string attributes. Every failure throws acc::Error naming
// the file and object. HDF5's own error stack printing is switched off.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace acc::util::h5 {

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  hid_t release() {  // gives up ownership
    hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Element types that can be stored: the HDF5 native type for T.
template <class T>
hid_t native_type();

class Group;

class File {
 public:
  // Read-only open without file locking (safe on cluster file systems and for
  // several ranks); throws "<path>: not an HDF5 file" etc.
  static File open_read(const std::string& path);
  // Creates (truncates) path for writing. Use with AtomicPath for atomicity.
  static File create(const std::string& path);

  Group root() const;
  const std::string& path() const { return path_; }
  void flush();
  void close();  // explicit close so write errors surface before a rename

 private:
  std::string path_;
  Handle id_;
};

class Group {
 public:
  Group(hid_t id, std::string file, std::string name) : id_(id), file_(std::move(file)), name_(std::move(name)) {}

  bool has(const std::string& name) const;  // child link exists
  Group group(const std::string& name) const;
  Group create_group(const std::string& name) const;

  // Whole 1-D datasets (contiguous, uncompressed).
  template <class T>
  void write(const std::string& name, const std::vector<T>& values) const {
    write_raw(name, native_type<T>(), {values.size()}, values.data());
  }
  template <class T>
  std::vector<T> read(const std::string& name) const {
    std::vector<uint64_t> dims = shape(name);
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;
    std::vector<T> out(n);
    read_raw(name, native_type<T>(), n, out.data());
    return out;
  }
  // N-D datasets.
  void write_raw(const std::string& name, hid_t type, const std::vector<uint64_t>& dims, const void* data) const;
  void read_raw(const std::string& name, hid_t type, uint64_t expected_elements, void* out) const;
  std::vector<uint64_t> shape(const std::string& name) const;

  // Variable-length UTF-8 strings.
  void write_strings(const std::string& name, const std::vector<std::string>& values) const;
  std::vector<std::string> read_strings(const std::string& name) const;

  // Attributes on this group (root attributes when this is the root group).
  bool has_attr(const std::string& name) const;
  void set_attr(const std::string& name, const std::string& value) const;
  void set_attr(const std::string& name, int64_t value) const;
  std::string attr_string(const std::string& name) const;
  int64_t attr_int(const std::string& name) const;

  std::vector<std::string> children() const;  // link names, sorted
  hid_t id() const { return id_.get(); }
  std::string where(const std::string& child = "") const;  // "file:/group/child" for messages

 private:
  Handle id_;
  std::string file_;
  std::string name_;
};

}  // namespace acc::util::h5
