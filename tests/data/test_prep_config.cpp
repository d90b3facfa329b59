#include <gtest/gtest.h>

#include <fstream>

#include "accompanist/data/prep_config.h"
#include "accompanist/util/error.h"
#include "data/test_util.h"

using acc::data::load_prep_config;
using acc::data::PrepConfig;
using acc::data::testing::ScratchDir;

namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    PrepConfig c;
    acc::util::load_config_text(c, yaml, "test.yaml", overrides);
    c.validate("test.yaml");
  } catch (const acc::Error& e) {
    return e.what();
  }
  return "";
}

TEST(PrepConfig, DefaultsFollowTheSpec) {
  PrepConfig c = load_prep_config("");
  EXPECT_EQ(c.direction, "piano->bass");
  EXPECT_EQ(c.source_family(), "piano");
  EXPECT_EQ(c.target_family(), "bass");
  EXPECT_EQ(c.families.at("piano"), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(c.families.at("bass"), (std::vector<int>{32, 33, 34, 35, 36, 37, 38, 39}));
  EXPECT_EQ(c.window_beats, 96);
  EXPECT_EQ(c.min_notes, 1);
  EXPECT_EQ(c.merge, "merge");
  EXPECT_DOUBLE_EQ(c.split.valid, 0.05);
  EXPECT_DOUBLE_EQ(c.split.test, 0.05);
  EXPECT_EQ(c.bpe.vocab_size, 500);
  EXPECT_TRUE(c.bpe.tokenizer.empty());
  EXPECT_TRUE(c.augment.transpose.empty());
  EXPECT_EQ(c.threads, 0);
  EXPECT_EQ(c.filter.max_len, 0);
}

TEST(PrepConfig, YamlAndOverrides) {
  ScratchDir dir("config");
  std::ofstream(dir.file("p.yaml")) << "direction: bass->piano\nsplit:\n  seed: 7\naugment:\n  transpose: [-2, 3]\n";
  PrepConfig c = load_prep_config(dir.file("p.yaml"), {"bpe.vocab_size=300", "merge=largest", "threads=2"});
  EXPECT_EQ(c.direction, "bass->piano");
  EXPECT_EQ(c.source_family(), "bass");
  EXPECT_EQ(c.split.seed, 7);
  EXPECT_EQ(c.augment.transpose, (std::vector<int>{-2, 3}));
  EXPECT_EQ(c.bpe.vocab_size, 300);
  EXPECT_EQ(c.merge, "largest");
  EXPECT_EQ(c.threads, 2);

  // The dump reads back to the same config.
  std::string dumped = acc::util::dump_config(c);
  PrepConfig again;
  acc::util::load_config_text(again, dumped, "dump");
  EXPECT_EQ(acc::util::dump_config(again), dumped);
  EXPECT_EQ(again.augment.transpose, c.augment.transpose);
}

TEST(PrepConfig, BadValuesNameTheKey) {
  EXPECT_EQ(error_of(""), "");
  EXPECT_NE(error_of("merge: average\n").find("merge"), std::string::npos);
  EXPECT_NE(error_of("window_beats: 0\n").find("window_beats"), std::string::npos);
  EXPECT_NE(error_of("bpe:\n  vocab_size: 100\n").find("bpe.vocab_size"), std::string::npos);
  EXPECT_NE(error_of("typo_key: 1\n").find("typo_key"), std::string::npos);
  EXPECT_NE(error_of("direction: piano->drums\n").find("family \"drums\" is not defined"), std::string::npos);
  EXPECT_NE(error_of("direction: piano\n").find("direction"), std::string::npos);
  EXPECT_NE(error_of("direction: bass->bass\n").find("same family"), std::string::npos);
  EXPECT_NE(error_of("split:\n  valid: 0.6\n  test: 0.5\n").find("split"), std::string::npos);
  EXPECT_NE(error_of("augment:\n  transpose: [0]\n").find("augment.transpose"), std::string::npos);
  EXPECT_NE(error_of("families:\n  piano: [0, 200]\n  bass: [32]\n").find("families.piano"), std::string::npos);
  EXPECT_NE(error_of("families:\n  piano: [0, 32]\n  bass: [32]\n").find("both"), std::string::npos);
  EXPECT_NE(error_of("", {"threads=-1"}).find("threads"), std::string::npos);
  // Extra families are allowed; the direction picks two of them.
  EXPECT_EQ(error_of("direction: guitar->bass\nfamilies:\n  guitar: [24, 25]\n  bass: [32]\n"), "");
}

TEST(PrepConfig, ShippedConfigsLoad) {
  for (const char* name : {"default.yaml", "thesis_bass.yaml", "thesis_piano.yaml"}) {
    SCOPED_TRACE(name);
    PrepConfig c = load_prep_config(std::string(ACC_SOURCE_DIR) + "/configs/prep/" + name);
    EXPECT_EQ(c.window_beats, 96);
    EXPECT_EQ(c.bpe.vocab_size, 500);
  }
  EXPECT_EQ(load_prep_config(std::string(ACC_SOURCE_DIR) + "/configs/prep/thesis_piano.yaml").direction, "bass->piano");
  EXPECT_EQ(load_prep_config(std::string(ACC_SOURCE_DIR) + "/configs/prep/thesis_bass.yaml").direction, "piano->bass");
}

}  // namespace
