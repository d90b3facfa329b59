// The corpus reader and writer: round trip, and clear errors for every kind of
// corrupt or foreign file the reader may be given.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/hdf5.h"
#include "accompanist/util/sha256.h"
#include "data/test_util.h"

namespace fs = std::filesystem;
namespace h5 = acc::util::h5;
using acc::data::Corpus;
using acc::data::CorpusWriter;
using acc::data::testing::base_tokenizer_json;
using acc::data::testing::ScratchDir;

namespace {

CorpusWriter sample_writer(const std::string& path) {
  CorpusWriter w(path, {base_tokenizer_json(), "piano->bass", "direction: piano->bass\n"});
  w.set_songs({"a/one.mid", "b/two.mid", "c/three.mid"});
  w.add("train", {4, 165, 40, 97, 120}, {4, 165, 20, 98, 130}, 0, 0);
  w.add("train", {4, 4}, {4, 170, 30, 93, 101}, 0, 2);
  w.add("valid", {4, 196, 92, 100, 164}, {4}, 1, 0);
  return w;  // test stays empty
}

// Writes a corpus by hand so that single fields can be broken.
struct RawCorpus {
  std::string format = "accompanist-corpus";
  int64_t version = 1;
  std::string tokenizer = base_tokenizer_json();
  std::string sha;  // empty: the right one
  bool with_attributes = true;
  std::vector<uint16_t> tokens = {4, 165, 40, 97, 120};
  std::vector<uint64_t> offsets = {0, 5};
  std::vector<uint32_t> song = {0};

  void write(const std::string& path) const {
    h5::File f = h5::File::create(path);
    {
      h5::Group root = f.root();
      if (with_attributes) {
        root.set_attr("format", format);
        root.set_attr("version", version);
        root.set_attr("tokenizer", tokenizer);
        root.set_attr("tokenizer_sha256", sha.empty() ? acc::util::sha256_hex(tokenizer) : sha);
        root.set_attr("direction", std::string("piano->bass"));
        root.set_attr("config", std::string("{}"));
      }
      for (const char* name : {"train", "valid", "test"}) {
        h5::Group g = root.create_group(name);
        bool train = std::string(name) == "train";
        g.write<uint16_t>("source_tokens", train ? tokens : std::vector<uint16_t>{});
        g.write<uint16_t>("target_tokens", train ? tokens : std::vector<uint16_t>{});
        g.write<uint64_t>("source_offsets", train ? offsets : std::vector<uint64_t>{0});
        g.write<uint64_t>("target_offsets", train ? offsets : std::vector<uint64_t>{0});
        g.write<uint32_t>("song", train ? song : std::vector<uint32_t>{});
        g.write<uint32_t>("window", train ? std::vector<uint32_t>(song.size(), 0) : std::vector<uint32_t>{});
      }
      root.write_strings("songs", {"x.mid"});
    }
    f.close();
  }
};

// The error message of opening path and reading every split ("" when none).
std::string open_error(const std::string& path) {
  try {
    Corpus c = Corpus::open(path);
    for (const char* s : {"train", "valid", "test"}) c.split(s);
  } catch (const acc::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Corpus, RoundTrip) {
  ScratchDir dir("corpus");
  const std::string path = dir.file("sub/corpus.h5");
  sample_writer(path).commit();
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp-" + std::to_string(::getpid())));

  Corpus c = Corpus::open(path);
  EXPECT_EQ(c.path(), path);
  EXPECT_EQ(c.vocab_size(), 197);
  EXPECT_EQ(c.direction(), "piano->bass");
  EXPECT_EQ(c.prep_config_yaml(), "direction: piano->bass\n");
  EXPECT_EQ(c.tokenizer_json(), base_tokenizer_json());
  EXPECT_EQ(c.tokenizer_sha256(), acc::util::sha256_hex(base_tokenizer_json()));
  EXPECT_EQ(c.songs(), (std::vector<std::string>{"a/one.mid", "b/two.mid", "c/three.mid"}));

  const auto& train = c.split("train");
  ASSERT_EQ(train.size(), 2u);
  EXPECT_EQ(train.source(0).to_ids(), (std::vector<int>{4, 165, 40, 97, 120}));
  EXPECT_EQ(train.target(0).to_ids(), (std::vector<int>{4, 165, 20, 98, 130}));
  EXPECT_EQ(train.source(1).to_ids(), (std::vector<int>{4, 4}));
  EXPECT_EQ(train.target(1)[1], 170);
  EXPECT_EQ(train.target(1).size, 5u);
  EXPECT_EQ(train.song(1), 0u);
  EXPECT_EQ(train.window(1), 2u);
  EXPECT_EQ(train.total_source_tokens(), 7u);
  EXPECT_EQ(train.total_target_tokens(), 10u);
  EXPECT_EQ(train.max_source_length(), 5u);
  const auto& valid = c.split("valid");
  ASSERT_EQ(valid.size(), 1u);
  EXPECT_EQ(valid.song(0), 1u);
  EXPECT_EQ(valid.target(0).to_ids(), std::vector<int>{4});
  EXPECT_TRUE(c.split("test").empty());
  EXPECT_EQ(&c.split("train"), &train);  // loaded once
  EXPECT_THROW(c.split("training"), acc::Error);

  // Moving the corpus keeps the loaded splits valid.
  Corpus moved = std::move(c);
  EXPECT_EQ(moved.split("train").source(0)[0], 4);

  // h5py-compatible layout: the documented dataset names and shapes.
  h5::File f = h5::File::open_read(path);
  h5::Group root = f.root();
  EXPECT_EQ(root.children(), (std::vector<std::string>{"songs", "test", "train", "valid"}));
  EXPECT_EQ(root.group("train").shape("source_offsets"), std::vector<uint64_t>{3});
  EXPECT_EQ(root.attr_int("version"), 1);
}

TEST(Corpus, ConcurrentFirstUse) {
  ScratchDir dir("corpus");
  const std::string path = dir.file("c.h5");
  sample_writer(path).commit();
  Corpus c = Corpus::open(path);
  std::vector<std::thread> threads;
  std::vector<size_t> sizes(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { sizes[i] = c.split(i % 2 ? "train" : "valid").total_source_tokens(); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(sizes[i], i % 2 ? 7u : 5u);
}

TEST(Corpus, WriterRejectsBadContent) {
  ScratchDir dir("corpus");
  const std::string path = dir.file("bad.h5");
  {
    CorpusWriter w = sample_writer(path);
    w.add("train", {197}, {4}, 0, 0);  // outside the base vocabulary
    EXPECT_THROW(w.commit(), acc::Error);
  }
  {
    CorpusWriter w = sample_writer(path);
    w.add("test", {4}, {4}, 7, 0);  // no song 7
    EXPECT_THROW(w.commit(), acc::Error);
  }
  EXPECT_THROW(sample_writer(path).add("dev", {4}, {4}, 0, 0), acc::Error);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir.path()));  // no temporary file left behind
}

TEST(Corpus, ErrorsNameThePathAndTheReason) {
  ScratchDir dir("corpus");
  auto expect_error = [&](const std::string& path, const std::string& reason) {
    std::string msg = open_error(path);
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(reason), std::string::npos) << "expected \"" << reason << "\" in: " << msg;
  };

  expect_error(dir.file("missing.h5"), "no such file");

  const std::string text = dir.file("text.h5");
  std::ofstream(text) << "this is not an HDF5 file\n";
  expect_error(text, "not an HDF5 file");

  RawCorpus good;
  const std::string ok = dir.file("ok.h5");
  good.write(ok);
  EXPECT_EQ(open_error(ok), "");

  // Truncated: the first half of a valid file.
  const std::string truncated = dir.file("truncated.h5");
  fs::copy_file(ok, truncated);
  fs::resize_file(truncated, fs::file_size(ok) / 2);
  EXPECT_NE(open_error(truncated).find(truncated), std::string::npos);

  RawCorpus bare;
  bare.with_attributes = false;
  bare.write(dir.file("bare.h5"));
  expect_error(dir.file("bare.h5"), "not an accompanist corpus");

  RawCorpus foreign;
  foreign.format = "something-else";
  foreign.write(dir.file("foreign.h5"));
  expect_error(dir.file("foreign.h5"), "not an accompanist corpus");

  RawCorpus v2;
  v2.version = 2;
  v2.write(dir.file("v2.h5"));
  expect_error(dir.file("v2.h5"), "unsupported corpus version 2");

  RawCorpus hash;
  hash.sha = acc::util::sha256_hex("another tokenizer");
  hash.write(dir.file("hash.h5"));
  expect_error(dir.file("hash.h5"), "tokenizer hash mismatch");

  RawCorpus offsets_len;
  offsets_len.offsets = {0, 5, 5};
  offsets_len.write(dir.file("offsets_len.h5"));
  expect_error(dir.file("offsets_len.h5"), "expected 2 (pairs + 1)");

  RawCorpus offsets_end;
  offsets_end.offsets = {0, 4};
  offsets_end.write(dir.file("offsets_end.h5"));
  expect_error(dir.file("offsets_end.h5"), "ends at 4 but /train/source_tokens has 5 tokens");

  RawCorpus offsets_order;
  offsets_order.tokens = {4, 4, 4};
  offsets_order.offsets = {0, 3, 2, 3};
  offsets_order.song = {0, 0, 0};
  offsets_order.write(dir.file("offsets_order.h5"));
  expect_error(dir.file("offsets_order.h5"), "decreases at entry 2");

  RawCorpus offsets_start;
  offsets_start.offsets = {1, 5};
  offsets_start.write(dir.file("offsets_start.h5"));
  expect_error(dir.file("offsets_start.h5"), "does not start at 0");

  RawCorpus big_id;
  big_id.tokens = {4, 165, 40, 197, 120};
  big_id.write(dir.file("big_id.h5"));
  expect_error(dir.file("big_id.h5"), "token id 197 at 3, outside the vocabulary of 197");

  RawCorpus bad_song;
  bad_song.song = {3};
  bad_song.write(dir.file("bad_song.h5"));
  expect_error(dir.file("bad_song.h5"), "/train/song[0] = 3");

  RawCorpus bad_json;
  bad_json.tokenizer = "{not json";
  bad_json.write(dir.file("bad_json.h5"));
  expect_error(dir.file("bad_json.h5"), "not valid JSON");

  // Datasets claiming far more entries than the file holds (unwritten, which
  // HDF5 reads as zeros): refused before anything that size is allocated
  // (found with fuzz_corpus_reader; a 16 KB file asked for terabytes).
  auto unwritten = [&](const std::string& name, const std::string& dataset, hid_t type) {
    const std::string path = dir.file(name);
    good.write(path);
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    EXPECT_GE(f, 0);
    EXPECT_GE(H5Ldelete(f, dataset.c_str(), H5P_DEFAULT), 0);
    const hsize_t dims[1] = {hsize_t(1) << 40};
    hid_t space = H5Screate_simple(1, dims, nullptr);
    hid_t ds = H5Dcreate2(f, dataset.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(ds, 0);
    H5Dclose(ds);
    H5Sclose(space);
    H5Fclose(f);
    return path;
  };
  hid_t vlen_string = H5Tcopy(H5T_C_S1);
  H5Tset_size(vlen_string, H5T_VARIABLE);
  expect_error(unwritten("huge_songs.h5", "/songs", vlen_string), "/songs claims 1099511627776 entries");
  H5Tclose(vlen_string);
  expect_error(unwritten("huge_song.h5", "/train/song", H5T_STD_U32LE), "/train/song claims 1099511627776 entries");

  // A split group missing altogether.
  const std::string nosplit = dir.file("nosplit.h5");
  {
    h5::File f = h5::File::create(nosplit);
    {
      h5::Group root = f.root();
      root.set_attr("format", std::string("accompanist-corpus"));
      root.set_attr("version", int64_t(1));
      root.set_attr("tokenizer", base_tokenizer_json());
      root.set_attr("tokenizer_sha256", acc::util::sha256_hex(base_tokenizer_json()));
      root.set_attr("direction", std::string("piano->bass"));
      root.set_attr("config", std::string(""));
      root.write_strings("songs", {});
    }
    f.close();
  }
  expect_error(nosplit, "no /train group");
}

}  // namespace
