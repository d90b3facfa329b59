// datasets/lakh/fetch.sh on fake archives (the real one is not reachable from
// the build machines): download through a file:// URL, md5 verification,
// layout checks, the completion marker, and refusal of foreign archives.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "data/test_util.h"

namespace fs = std::filesystem;
using acc::data::testing::run_shell;
using acc::data::testing::ScratchDir;

namespace {

const std::string kScript = std::string(ACC_SOURCE_DIR) + "/datasets/lakh/fetch.sh";

std::string md5_of(const std::string& path) {
  std::string out = path + ".md5";
  if (run_shell("md5sum '" + path + "' | cut -d' ' -f1 > '" + out + "'") != 0) return "";
  std::ifstream in(out);
  std::string hex;
  in >> hex;
  return hex;
}

// A tar.gz of a tree made under root/<top>.
std::string make_archive(const ScratchDir& dir, const std::string& name, const std::string& top,
                         const std::vector<std::string>& files) {
  fs::path root = dir.path() / ("tree_" + name);
  for (const auto& f : files) {
    fs::create_directories((root / top / f).parent_path());
    std::ofstream(root / top / f) << "MThd fake " << f;
  }
  std::string archive = (dir.path() / (name + ".tar.gz")).string();
  EXPECT_EQ(run_shell("tar -czf '" + archive + "' -C '" + root.string() + "' '" + top + "'"), 0);
  return archive;
}

int fetch(const std::string& args, const ScratchDir& dir) {
  return run_shell("bash '" + kScript + "' " + args + " > '" + dir.file("log.txt") + "' 2>&1");
}

TEST(LakhFetch, DownloadsVerifiesAndExtracts) {
  ScratchDir dir("lakh");
  std::string archive =
      make_archive(dir, "good", "clean_midi", {"ABBA/Dancing Queen.mid", "ABBA/Waterloo.mid", "a-ha/Take On Me.1.mid"});
  std::string md5 = md5_of(archive);
  ASSERT_EQ(md5.size(), 32u);
  std::string dest = dir.file("data/lakh");
  ASSERT_EQ(fetch("--url 'file://" + archive + "' --md5 " + md5 + " --dest '" + dest + "'", dir), 0);
  EXPECT_TRUE(fs::is_regular_file(dest + "/clean_midi/ABBA/Dancing Queen.mid"));
  EXPECT_TRUE(fs::is_regular_file(dest + "/clean_midi/a-ha/Take On Me.1.mid"));
  EXPECT_FALSE(fs::exists(dest + "/clean_midi.tar.gz"));  // removed after extraction
  std::ifstream marker(dest + "/clean_midi/.complete");
  std::string line;
  std::getline(marker, line);
  EXPECT_EQ(line, "3 files, 2 artists, md5 " + md5);
  // No temporary directories left.
  for (const auto& e : fs::directory_iterator(dest)) EXPECT_EQ(e.path().filename(), "clean_midi");
  // A second run finds it complete and downloads nothing (the URL is now bad).
  EXPECT_EQ(fetch("--url file:///nonexistent --dest '" + dest + "'", dir), 0);
}

TEST(LakhFetch, WrongMd5ExtractsNothing) {
  ScratchDir dir("lakh");
  std::string archive = make_archive(dir, "good", "clean_midi", {"X/y.mid"});
  std::string dest = dir.file("lakh");
  EXPECT_NE(fetch("--url 'file://" + archive + "' --md5 00000000000000000000000000000000 --dest '" + dest + "'", dir),
            0);
  EXPECT_FALSE(fs::exists(dest + "/clean_midi"));
  EXPECT_TRUE(fs::exists(dest + "/clean_midi.tar.gz.bad"));  // moved aside, not reused
  EXPECT_NE(fetch("--archive '" + archive + "' --md5 nothex --dest '" + dest + "'", dir), 0);
  // Without an md5 it extracts, with a warning naming the computed md5.
  EXPECT_EQ(fetch("--archive '" + archive + "' --dest '" + dest + "' --keep-archive", dir), 0);
  EXPECT_TRUE(fs::exists(dest + "/clean_midi/X/y.mid"));
  EXPECT_TRUE(fs::exists(archive));  // a given --archive is never deleted
}

TEST(LakhFetch, RefusesForeignArchives) {
  ScratchDir dir("lakh");
  std::string other = make_archive(dir, "other", "lmd_full", {"a/b.mid"});
  EXPECT_NE(fetch("--archive '" + other + "' --dest '" + dir.file("d") + "'", dir), 0);
  EXPECT_FALSE(fs::exists(dir.file("d/clean_midi")));
  std::string empty = make_archive(dir, "empty", "clean_midi", {"notes.txt"});
  EXPECT_NE(fetch("--archive '" + empty + "' --dest '" + dir.file("e") + "'", dir), 0);
  std::ofstream(dir.file("junk.tar.gz")) << "not gzip";
  EXPECT_NE(fetch("--archive '" + dir.file("junk.tar.gz") + "' --dest '" + dir.file("f") + "'", dir), 0);
  EXPECT_NE(fetch("--archive '" + dir.file("missing.tar.gz") + "' --dest '" + dir.file("g") + "'", dir), 0);
  EXPECT_NE(fetch("--url file:///nonexistent/clean_midi.tar.gz --dest '" + dir.file("h") + "'", dir), 0);
  EXPECT_NE(fetch("--bogus", dir), 0);
}

}  // namespace
