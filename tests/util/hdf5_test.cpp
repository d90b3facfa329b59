#include "accompanist/util/hdf5.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "accompanist/util/error.h"

namespace fs = std::filesystem;
namespace h5 = acc::util::h5;

namespace {

std::string temp_file(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("acc_h5_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return (d / name).string();
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

}  // namespace
