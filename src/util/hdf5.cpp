#include "accompanist/util/hdf5.h"

#include <algorithm>
#include <filesystem>

#include "accompanist/util/error.h"

namespace acc::util::h5 {
namespace {

// HDF5 prints its error stack to stderr by default; we report our own errors.
void silence_hdf5_errors() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

void close_id(hid_t id) {
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      H5Fclose(id);
      break;
    case H5I_GROUP:
      H5Gclose(id);
      break;
    case H5I_DATASET:
      H5Dclose(id);
      break;
    case H5I_DATASPACE:
      H5Sclose(id);
      break;
    case H5I_DATATYPE:
      H5Tclose(id);
      break;
    case H5I_ATTR:
      H5Aclose(id);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id);
      break;
    default:
      break;
  }
}

Handle checked(hid_t id, const std::string& where, const std::string& what) {
  if (id < 0) throw Error(where, what);
  return Handle(id);
}

// An attribute is read into room for one value: refuse any other count
// (a 4-element attribute would overflow it; found by fuzz_corpus_reader).
void require_single_value(hid_t attribute, const std::string& where) {
  Handle space(H5Aget_space(attribute));
  if (H5Sget_simple_extent_npoints(space.get()) != 1) throw Error(where, "expected a single value");
}

Handle string_type() {
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0) close_id(id_);
  id_ = H5I_INVALID_HID;
}

template <>
hid_t native_type<uint8_t>() {
  return H5T_NATIVE_UINT8;
}
template <>
hid_t native_type<uint16_t>() {
  return H5T_NATIVE_UINT16;
}
template <>
hid_t native_type<uint32_t>() {
  return H5T_NATIVE_UINT32;
}
template <>
hid_t native_type<uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
hid_t native_type<int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t native_type<int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}

File File::open_read(const std::string& path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw Error(path, "is a directory");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path, "not an HDF5 file");
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  // No file locking: read-only opens on cluster file systems and by several ranks.
  H5Pset_file_locking(fapl.get(), false, true);
  File f;
  f.path_ = path;
  f.id_ =
      checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), path, "cannot open HDF5 file (truncated or corrupt?)");
  return f;
}

File File::create(const std::string& path) {
  silence_hdf5_errors();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_file_locking(fapl.get(), false, true);
  File f;
  f.path_ = path;
  f.id_ = checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), path, "cannot create HDF5 file");
  return f;
}

Group File::root() const {
  hid_t g = H5Gopen2(id_.get(), "/", H5P_DEFAULT);
  if (g < 0) throw Error(path_, "cannot open the root group");
  return Group(g, path_, "");
}

void File::flush() {
  if (id_.valid() && H5Fflush(id_.get(), H5F_SCOPE_GLOBAL) < 0) throw Error(path_, "flush failed");
}

void File::close() {
  if (!id_.valid()) return;
  // Closed here rather than in the destructor so that a failing close is reported.
  if (H5Fclose(id_.release()) < 0) throw Error(path_, "close failed (disk full?)");
}

std::string Group::where(const std::string& child) const {
  std::string p = name_;
  if (!child.empty()) p += "/" + child;
  return file_ + ":" + (p.empty() ? "/" : p);
}

bool Group::has(const std::string& name) const {
  return H5Lexists(id_.get(), name.c_str(), H5P_DEFAULT) > 0;
}

Group Group::group(const std::string& name) const {
  if (!has(name)) throw Error(where(name), "missing group");
  hid_t g = H5Gopen2(id_.get(), name.c_str(), H5P_DEFAULT);
  if (g < 0) throw Error(where(name), "not a group");
  return Group(g, file_, name_ + "/" + name);
}

Group Group::create_group(const std::string& name) const {
  hid_t g = H5Gcreate2(id_.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw Error(where(name), "cannot create group");
  return Group(g, file_, name_ + "/" + name);
}

void Group::write_raw(const std::string& name, hid_t type, const std::vector<uint64_t>& dims, const void* data) const {
  std::vector<hsize_t> hd(dims.begin(), dims.end());
  Handle space(H5Screate_simple(int(hd.size()), hd.data(), nullptr));
  Handle ds = checked(H5Dcreate2(id_.get(), name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      where(name), "cannot create dataset");
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  if (n > 0 && H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw Error(where(name), "write failed");
}

std::vector<uint64_t> Group::shape(const std::string& name) const {
  if (!has(name)) throw Error(where(name), "missing dataset");
  Handle ds = checked(H5Dopen2(id_.get(), name.c_str(), H5P_DEFAULT), where(name), "not a dataset");
  Handle space(H5Dget_space(ds.get()));
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw Error(where(name), "bad dataspace");
  std::vector<hsize_t> dims(size_t(rank), 0);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<uint64_t>(dims.begin(), dims.end());
}

void Group::read_raw(const std::string& name, hid_t type, uint64_t expected_elements, void* out) const {
  std::vector<uint64_t> dims = shape(name);
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  if (n != expected_elements)
    throw Error(where(name), "expected " + std::to_string(expected_elements) + " elements, found " + std::to_string(n));
  Handle ds = checked(H5Dopen2(id_.get(), name.c_str(), H5P_DEFAULT), where(name), "not a dataset");
  Handle stored(H5Dget_type(ds.get()));
  H5T_class_t want = H5Tget_class(type), have = H5Tget_class(stored.get());
  if (want != have) throw Error(where(name), "unexpected element type");
  if (n > 0 && H5Dread(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    throw Error(where(name), "read failed (corrupt file?)");
}

void Group::write_strings(const std::string& name, const std::vector<std::string>& values) const {
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& s : values) ptrs.push_back(s.c_str());
  Handle t = string_type();
  write_raw(name, t.get(), {values.size()}, ptrs.data());
}

std::vector<std::string> Group::read_strings(const std::string& name) const {
  std::vector<uint64_t> dims = shape(name);
  if (dims.size() != 1) throw Error(where(name), "expected a 1-D string dataset");
  Handle ds = checked(H5Dopen2(id_.get(), name.c_str(), H5P_DEFAULT), where(name), "not a dataset");
  Handle stored(H5Dget_type(ds.get()));
  if (H5Tget_class(stored.get()) != H5T_STRING || !H5Tis_variable_str(stored.get()))
    throw Error(where(name), "expected variable-length strings");
  std::vector<char*> ptrs(dims[0], nullptr);
  Handle t = string_type();
  if (!ptrs.empty() && H5Dread(ds.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    throw Error(where(name), "read failed");
  std::vector<std::string> out;
  out.reserve(ptrs.size());
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  if (!ptrs.empty()) {
    Handle space(H5Dget_space(ds.get()));
    H5Dvlen_reclaim(t.get(), space.get(), H5P_DEFAULT, ptrs.data());
  }
  return out;
}

bool Group::has_attr(const std::string& name) const {
  return H5Aexists(id_.get(), name.c_str()) > 0;
}

void Group::set_attr(const std::string& name, const std::string& value) const {
  if (has_attr(name)) H5Adelete(id_.get(), name.c_str());
  Handle t = string_type();
  Handle space(H5Screate(H5S_SCALAR));
  Handle a = checked(H5Acreate2(id_.get(), name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                     where() + "@" + name, "cannot create attribute");
  const char* p = value.c_str();
  if (H5Awrite(a.get(), t.get(), &p) < 0) throw Error(where() + "@" + name, "write failed");
}

void Group::set_attr(const std::string& name, int64_t value) const {
  if (has_attr(name)) H5Adelete(id_.get(), name.c_str());
  Handle space(H5Screate(H5S_SCALAR));
  Handle a = checked(H5Acreate2(id_.get(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                     where() + "@" + name, "cannot create attribute");
  if (H5Awrite(a.get(), H5T_NATIVE_INT64, &value) < 0) throw Error(where() + "@" + name, "write failed");
}

std::string Group::attr_string(const std::string& name) const {
  if (!has_attr(name)) throw Error(where() + "@" + name, "missing attribute");
  Handle a = checked(H5Aopen(id_.get(), name.c_str(), H5P_DEFAULT), where() + "@" + name, "cannot open attribute");
  require_single_value(a.get(), where() + "@" + name);
  Handle stored(H5Aget_type(a.get()));
  if (H5Tget_class(stored.get()) != H5T_STRING) throw Error(where() + "@" + name, "expected a string attribute");
  if (H5Tis_variable_str(stored.get())) {
    Handle t = string_type();
    char* p = nullptr;
    if (H5Aread(a.get(), t.get(), &p) < 0) throw Error(where() + "@" + name, "read failed");
    std::string out = p ? p : "";
    H5free_memory(p);
    return out;
  }
  // Fixed-length strings (as h5py writes numpy bytes).
  size_t n = H5Tget_size(stored.get());
  std::string out(n, '\0');
  if (H5Aread(a.get(), stored.get(), out.data()) < 0) throw Error(where() + "@" + name, "read failed");
  out.resize(std::min(out.size(), out.find('\0')));
  return out;
}

int64_t Group::attr_int(const std::string& name) const {
  if (!has_attr(name)) throw Error(where() + "@" + name, "missing attribute");
  Handle a = checked(H5Aopen(id_.get(), name.c_str(), H5P_DEFAULT), where() + "@" + name, "cannot open attribute");
  require_single_value(a.get(), where() + "@" + name);
  Handle stored(H5Aget_type(a.get()));
  if (H5Tget_class(stored.get()) != H5T_INTEGER) throw Error(where() + "@" + name, "expected an integer attribute");
  int64_t v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0) throw Error(where() + "@" + name, "read failed");
  return v;
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  H5Literate(id_.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace acc::util::h5
