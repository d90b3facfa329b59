#include "accompanist/util/hdf5.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>

#include "accompanist/util/error.h"
#include "common/scratch_dir.h"

namespace fs = std::filesystem;
namespace h5 = acc::util::h5;

namespace {

std::string temp_file(const std::string& name) {
  static const fs::path dir = acc::testing::scratch_dir("h5_test");
  return (dir / name).string();
}

TEST(Hdf5, WriteReadRoundTrip) {
  const std::string path = temp_file("a.h5");
  {
    h5::File f = h5::File::create(path);
    h5::Group root = f.root();
    root.set_attr("format", std::string("test"));
    root.set_attr("version", int64_t(3));
    h5::Group g = root.create_group("train");
    g.write<uint16_t>("tokens", {1, 2, 65535});
    g.write<uint64_t>("offsets", {0, 3});
    root.write_strings("songs", {"a/b.mid", "ü.mid", ""});
    std::vector<float> m = {1, 2, 3, 4, 5, 6};
    root.write_raw("matrix", h5::native_type<float>(), {2, 3}, m.data());
    f.close();
  }
  h5::File f = h5::File::open_read(path);
  h5::Group root = f.root();
  EXPECT_EQ(root.attr_string("format"), "test");
  EXPECT_EQ(root.attr_int("version"), 3);
  EXPECT_EQ(root.group("train").read<uint16_t>("tokens"), (std::vector<uint16_t>{1, 2, 65535}));
  EXPECT_EQ(root.read_strings("songs"), (std::vector<std::string>{"a/b.mid", "ü.mid", ""}));
  EXPECT_EQ(root.shape("matrix"), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(root.read<float>("matrix")[5], 6.0f);
  EXPECT_EQ(root.children(), (std::vector<std::string>{"matrix", "songs", "train"}));
  EXPECT_TRUE(root.has("train"));
  EXPECT_FALSE(root.has("valid"));
}

TEST(Hdf5, ClearErrors) {
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const acc::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message([] { h5::File::open_read("/nonexistent.h5"); }), "/nonexistent.h5: no such file");
  const std::string text = temp_file("not.h5");
  std::ofstream(text) << "hello";
  EXPECT_EQ(message([&] { h5::File::open_read(text); }), text + ": not an HDF5 file");
  const std::string path = temp_file("b.h5");
  {
    h5::File f = h5::File::create(path);
    f.root().write<uint16_t>("x", {1});
    f.close();
  }
  h5::File f = h5::File::open_read(path);
  EXPECT_EQ(message([&] { f.root().read<uint16_t>("y"); }), path + ":/y: missing dataset");
  EXPECT_EQ(message([&] { f.root().attr_string("format"); }), path + ":/@format: missing attribute");
  EXPECT_EQ(message([&] { f.root().read<float>("x"); }), path + ":/x: unexpected element type");
  EXPECT_EQ(message([&] { f.root().group("x"); }), path + ":/x: not a group");
}

// Attributes with several values (valid HDF5, not what we write) were read
// into room for one; found by tests/fuzz/fuzz_corpus_reader.
TEST(Hdf5, AttributesWithSeveralValuesAreRefused) {
  const std::string path = temp_file("c.h5");
  {
    hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t four = 4;
    hid_t space = H5Screate_simple(1, &four, nullptr);
    const int64_t values[4] = {1, 2, 3, 4};
    hid_t a = H5Acreate2(file, "version", H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, values);
    H5Aclose(a);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 8);
    const char text[33] = "abcdefghabcdefghabcdefghabcdefgh";
    a = H5Acreate2(file, "format", str, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, str, text);
    H5Aclose(a);
    H5Tclose(str);
    H5Sclose(space);
    H5Fclose(file);
  }
  h5::File f = h5::File::open_read(path);
  try {
    f.root().attr_int("version");
    ADD_FAILURE() << "no error";
  } catch (const acc::Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ":/@version: expected a single value");
  }
  EXPECT_THROW(f.root().attr_string("format"), acc::Error);
}

}  // namespace
