// corpus.json: the train split's target notes and onsets counted through BPE
// expansions, the JSON round trip, and old or broken checkpoint files.
#include <gtest/gtest.h>

#include <fstream>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_record.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/util/error.h"
#include "data/test_util.h"

namespace {

using acc::data::CorpusRecord;
using acc::data::testing::ScratchDir;

// Merges 197 = (Position_0, Pitch_40) and 198 = (Duration, Pitch_56): one
// opens an onset, the other stacks a second note on it.
std::string merged_tokenizer_json() {
  return "{\"format\": \"accompanist-tokenizer\", \"version\": 1, \"base\": \"remi-miditok-2.1\", "
         "\"vocab_size\": 199, \"merges\": [[165, 24], [110, 40]]}";
}

TEST(CorpusRecord, CountsTrainTargetsThroughBpeExpansions) {
  ScratchDir dir("record");
  const std::string path = dir.file("c.h5");
  {
    acc::data::CorpusWriter w(path, {merged_tokenizer_json(), "piano->bass", "window_beats: 96\n"});
    w.set_songs({"a.mid"});
    // Bar Pos0 P40 Vel Dur | Pos5 P30 Vel Dur P35 Vel Dur: 3 notes, 2 onsets.
    w.add("train", {4, 165, 40, 97, 120}, {4, 197, 97, 110, 170, 14, 97, 110, 19, 97, 110}, 0, 0);
    // Bar (Pos0 P40) Vel (Dur P56) Vel Dur: 2 notes, 1 onset.
    w.add("train", {4, 165, 40, 97, 120}, {4, 197, 97, 198, 97, 110}, 0, 1);
    w.add("valid", {4, 165, 40, 97, 120}, {4, 165, 20, 97, 110, 21, 97, 110}, 0, 2);  // not counted
    w.commit();
  }
  const auto corpus = acc::data::Corpus::open(path);
  const CorpusRecord r = acc::data::describe_corpus(corpus);
  EXPECT_EQ(r.direction, "piano->bass");
  EXPECT_EQ(r.tokenizer_sha256, corpus.tokenizer_sha256());
  EXPECT_EQ(r.train_pairs, 2);
  EXPECT_EQ(r.target.notes, 5);
  EXPECT_EQ(r.target.onsets, 3);
  EXPECT_DOUBLE_EQ(r.target.notes_per_onset(), 5.0 / 3.0);

  const CorpusRecord back = CorpusRecord::from_json(r.to_json(), "x");
  EXPECT_EQ(back.direction, r.direction);
  EXPECT_EQ(back.corpus, r.corpus);
  EXPECT_EQ(back.tokenizer_sha256, r.tokenizer_sha256);
  EXPECT_EQ(back.train_pairs, 2);
  EXPECT_EQ(back.target.notes, 5);
  EXPECT_EQ(back.target.onsets, 3);
  // The prep config travels, so that generate --midi cuts the model's windows.
  EXPECT_EQ(r.prep_config, "window_beats: 96\n");
  EXPECT_EQ(back.prep_config, r.prep_config);
  EXPECT_NE(r.to_json().find("\"notes_per_onset\": 1.666"), std::string::npos) << r.to_json();
  EXPECT_NE(CorpusRecord().to_json().find("\"notes_per_onset\": null"), std::string::npos);
  EXPECT_EQ(CorpusRecord().target.notes_per_onset(), 0.0);
}

TEST(CorpusRecord, CheckpointWithoutRecordOrWithABrokenOne) {
  ScratchDir dir("record_read");
  EXPECT_FALSE(acc::data::read_corpus_record(dir.path().string()).has_value());
  CorpusRecord r;
  r.direction = "bass->piano";
  std::ofstream(dir.file("corpus.json")) << r.to_json();
  ASSERT_TRUE(acc::data::read_corpus_record(dir.path().string()).has_value());
  EXPECT_EQ(acc::data::read_corpus_record(dir.path().string())->direction, "bass->piano");
  std::ofstream(dir.file("corpus.json")) << "{\"format\": \"accompanist-corpus-record\", \"version\": 1}";
  try {
    acc::data::read_corpus_record(dir.path().string());
    ADD_FAILURE() << "no error";
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("corpus.json: bad corpus record"), std::string::npos) << e.what();
  }
  std::ofstream(dir.file("corpus.json")) << "not json";
  EXPECT_THROW(acc::data::read_corpus_record(dir.path().string()), acc::Error);
}

}  // namespace
