#include "accompanist/util/config.h"

#include <gtest/gtest.h>

#include "accompanist/util/error.h"

namespace {

struct Inner {
  int batch_size = 16;
  double lr = 1e-4;
  std::string schedule = "constant";
  bool shuffle = true;
  void visit(acc::util::ConfigVisitor& v) {
    v.field("batch_size", batch_size, 1);
    v.field("lr", lr, 0.0);
    v.field("schedule", schedule, {"constant", "cosine"});
    v.field("shuffle", shuffle);
  }
};

struct Root {
  Inner train;
  std::vector<int> shifts;
  std::map<std::string, std::vector<int>> families{{"piano", {0, 1}}, {"bass", {32}}};
  void visit(acc::util::ConfigVisitor& v) {
    v.section("train", [&] { train.visit(v); });
    v.field("shifts", shifts);
    v.field("families", families);
  }
};

std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  Root r;
  try {
    acc::util::load_config_text(r, yaml, "x.yaml", sets);
  } catch (const acc::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsWhenEmpty) {
  Root r;
  acc::util::load_config_text(r, "", "x.yaml");
  EXPECT_EQ(r.train.batch_size, 16);
  EXPECT_EQ(r.families.at("bass"), std::vector<int>{32});
}

TEST(Config, ReadsValues) {
  Root r;
  acc::util::load_config_text(
      r, "train: {batch_size: 4, lr: 3e-4, schedule: cosine, shuffle: false}\nshifts: [-1, 2]\n", "x.yaml");
  EXPECT_EQ(r.train.batch_size, 4);
  EXPECT_DOUBLE_EQ(r.train.lr, 3e-4);
  EXPECT_EQ(r.train.schedule, "cosine");
  EXPECT_FALSE(r.train.shuffle);
  EXPECT_EQ(r.shifts, (std::vector<int>{-1, 2}));
}

TEST(Config, OverridesApplyAfterFile) {
  Root r;
  acc::util::load_config_text(r, "train: {batch_size: 4}\n", "x.yaml",
                              {"train.batch_size=8", "shifts=[1,2,3]", "families.piano=[0]"});
  EXPECT_EQ(r.train.batch_size, 8);
  EXPECT_EQ(r.shifts.size(), 3u);
  EXPECT_EQ(r.families.at("piano"), std::vector<int>{0});
}

TEST(Config, UnknownKeyNamesThePath) {
  EXPECT_EQ(error_of("train: {bath_size: 4}\n"),
            "x.yaml: train.bath_size: unknown key (known here: batch_size, lr, schedule, shuffle)");
  EXPECT_NE(error_of("trian: {}\n").find("x.yaml: trian: unknown key"), std::string::npos);
}

TEST(Config, WrongTypesNameThePath) {
  EXPECT_EQ(error_of("train: {batch_size: abc}\n"),
            "x.yaml: train.batch_size: expected a positive integer, got \"abc\"");
  EXPECT_EQ(error_of("train: {batch_size: 0}\n"), "x.yaml: train.batch_size: value 0 out of range [1, 2147483647]");
  EXPECT_EQ(error_of("train: {lr: fast}\n"), "x.yaml: train.lr: expected a number, got \"fast\"");
  EXPECT_EQ(error_of("train: {schedule: linear}\n"),
            "x.yaml: train.schedule: expected one of constant, cosine, got \"linear\"");
  EXPECT_EQ(error_of("train: {shuffle: maybe}\n"), "x.yaml: train.shuffle: expected true or false, got \"maybe\"");
  EXPECT_EQ(error_of("train: 3\n"), "x.yaml: train: expected a section (a map), got \"3\"");
  EXPECT_EQ(error_of("shifts: [1, a]\n"), "x.yaml: shifts[1]: expected an integer, got \"a\"");
  EXPECT_EQ(error_of("train: {batch_size: [1]}\n"), "x.yaml: train.batch_size: expected a single value, got [1]");
}

TEST(Config, BadOverrides) {
  EXPECT_EQ(error_of("", {"train.batch_size=abc"}),
            "--set train.batch_size=abc: train.batch_size: expected a positive integer, got \"abc\"");
  EXPECT_EQ(error_of("", {"train.batchsize=3"}).rfind("--set train.batchsize=3: train.batchsize: unknown key", 0), 0u);
  EXPECT_EQ(error_of("", {"novalue"}), "--set novalue: expected key=value (e.g. train.lr=3e-4)");
  EXPECT_EQ(error_of("", {"train..lr=1"}), "--set train..lr=1: empty key in path \"train..lr\"");
  EXPECT_EQ(error_of("", {"train.lr.x=1"}), "--set train.lr.x=1: train.lr: expected a single value, got {x: 1}");
  EXPECT_EQ(error_of("train: {lr: 1}\n", {"train.lr.x=1"}), "--set train.lr.x=1: lr is not a section");
}

TEST(Config, InvalidYaml) {
  EXPECT_NE(error_of("train: {batch_size: 4\n").find("x.yaml: invalid YAML at line"), std::string::npos);
  EXPECT_EQ(error_of("- 1\n- 2\n"), "x.yaml: expected a map of sections at the top level");
}

TEST(Config, DumpReadsBackTheSame) {
  Root r;
  acc::util::load_config_text(r, "train: {batch_size: 7, lr: 0.1}\nshifts: [3]\n", "x.yaml");
  const std::string dumped = acc::util::dump_config(r);
  Root again;
  acc::util::load_config_text(again, dumped, "dumped");
  EXPECT_EQ(acc::util::dump_config(again), dumped);
  EXPECT_EQ(again.train.batch_size, 7);
  EXPECT_DOUBLE_EQ(again.train.lr, 0.1);
  EXPECT_NE(dumped.find("batch_size: 7"), std::string::npos);
}

TEST(Config, MissingFile) {
  Root r;
  try {
    acc::util::load_config_file(r, "/nonexistent/x.yaml");
    FAIL();
  } catch (const acc::Error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/x.yaml: no such file");
  }
}

}  // namespace
