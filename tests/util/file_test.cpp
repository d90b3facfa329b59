#include "accompanist/util/file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "accompanist/util/error.h"
#include "accompanist/util/sha256.h"
#include "common/scratch_dir.h"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  static const std::string dir = acc::testing::scratch_dir("file_test");
  return dir;
}

TEST(File, AtomicWriteThenRead) {
  fs::path p = temp_dir() / "a.txt";
  acc::util::write_file_atomic(p.string(), "hello");
  EXPECT_EQ(acc::util::read_file_text(p.string()), "hello");
  acc::util::write_file_atomic(p.string(), "again");
  EXPECT_EQ(acc::util::read_file_text(p.string()), "again");
  for (auto& e : fs::directory_iterator(p.parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos);
}

TEST(File, ReadErrors) {
  EXPECT_THROW(acc::util::read_file_bytes("/nonexistent/file"), acc::Error);
  try {
    acc::util::read_file_bytes(temp_dir().string());
    FAIL();
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos);
  }
  fs::path p = temp_dir() / "big";
  acc::util::write_file_atomic(p.string(), std::string(100, 'x'));
  EXPECT_THROW(acc::util::read_file_bytes(p.string(), 10), acc::Error);
}

TEST(File, AtomicPathRemovesUncommitted) {
  fs::path p = temp_dir() / "dir_out";
  std::string tmp;
  {
    acc::util::AtomicPath ap(p.string());
    tmp = ap.temp_path();
    fs::create_directories(tmp);
    acc::util::write_file_atomic(tmp + "/x", "1");
  }
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_FALSE(fs::exists(p));
  {
    acc::util::AtomicPath ap(p.string());
    fs::create_directories(ap.temp_path());
    acc::util::write_file_atomic(ap.temp_path() + "/x", "2");
    ap.commit();
  }
  EXPECT_EQ(acc::util::read_file_text((p / "x").string()), "2");
  {  // replacing an existing directory
    acc::util::AtomicPath ap(p.string());
    fs::create_directories(ap.temp_path());
    acc::util::write_file_atomic(ap.temp_path() + "/y", "3");
    ap.commit();
  }
  EXPECT_FALSE(fs::exists(p / "x"));
  EXPECT_TRUE(fs::exists(p / "y"));
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(acc::util::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(acc::util::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
