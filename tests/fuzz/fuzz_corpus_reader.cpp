// libFuzzer target: arbitrary bytes as an HDF5 corpus file. The bytes are
// written to one temporary file per process (/tmp/acc_fuzz_corpus_<pid>.h5,
// reused, removed at exit; those of dead processes are removed at start),
// opened with acc::data::Corpus::open, and every split and pair it claims is
// read. Opening and reading must either throw acc::Error or give a corpus
// whose header and pairs are consistent: the recorded tokenizer hash is the
// hash of the tokenizer JSON, the direction is "a->b", every token id is below
// the vocabulary, every song index names an entry of /songs, pair i's spans
// are the offset differences and tile the split's tokens, and a split name
// other than train/valid/test is refused. No HDF5 object may be left open.
//
// HDF5's error stack printing is switched off. HDF5 (the system library) is
// not instrumented: coverage guidance sees our reader and the HDF5 wrapper
// (src/util/hdf5.cpp, compiled in with the fuzz flags); ASan still checks
// what HDF5 does through intercepted calls (memcpy, malloc, ...).
//
// HDF5 1.10.8 has defects of its own on corrupt files, which no check of ours
// short of parsing HDF5 can avoid. Those that would stop or slow every run
// are handled here:
//  - a global heap collection ("GCOL": where variable-length strings live)
//    whose object walk does not advance (a free-space object of size 0, or a
//    size that wraps the pointer) makes H5HG__cache_heap_deserialize loop
//    forever, and an object that runs past the end of its collection is read
//    past the end of its buffer by H5HG_read (heap-buffer-overflow,
//    memcpy-param-overlap or SEGV under H5Aread/H5Dread of a string), as is
//    the descriptor of an object index that the collection does not hold
//    (SEGV in H5HG_read): such inputs are skipped before they reach HDF5
//    (hdf5_defect_input; a heuristic that may skip a few harmless inputs);
//  - state left behind by a corrupt file can make the next open in the same
//    process use freed memory (heap-use-after-free under H5Aexists): the
//    library is reset with H5close() after every input, which also makes
//    inputs independent of each other;
//  - sizes read from the file are allocated before they are checked (a local
//    heap of 2^47 bytes in H5C_protect under H5Lexists; a string "of 1.7 GB"
//    in H5T__conv_vlen under H5Dread): malloc returning NULL makes HDF5 report
//    an error, so ASan returns NULL (allocator_may_return_null) for anything
//    over 256 MiB, far more than reading a fuzzed file needs; a failing
//    operator new (our code) still aborts with a report;
//  - error paths leak (e.g. an object header when H5Dopen2 fails), and
//    LeakSanitizer's check after each such input cut the speed to ~20
//    inputs/s: leak detection is off (detect_leaks=0 here and in
//    scripts/fuzz.sh); HDF5 objects of ours left open are caught instead.
// Others remain, e.g. attribute messages decoded past their end
// (heap-buffer-overflow or SEGV in H5O__msg_iterate_real under H5Aexists),
// so scripts/fuzz.sh runs this target in fork mode and lists the crashing
// inputs. A report is HDF5's when the bad access is made inside libhdf5 on
// memory that libhdf5 allocated ("allocated by": H5FL_*, H5MM_*); it is ours
// when a frame of ours makes it, or when HDF5 writes into a buffer of ours
// (stack of acc::util::h5::*, or allocated by our code).
//
// Seeds (tests/fuzz/seeds/corpus/*.h5) are written by this binary with the
// corpus writer:
//   ACCOMPANIST_FUZZ_WRITE_SEEDS=tests/fuzz/seeds/corpus build-fuzz/bin/fuzz_corpus_reader
// ACCOMPANIST_FUZZ_VERBOSE=1 prints what happened to each input (accepted with how
// many pairs, skipped, or the acc::Error), e.g. to check that the seeds are
// accepted:
//   ACCOMPANIST_FUZZ_VERBOSE=1 build-fuzz/bin/fuzz_corpus_reader tests/fuzz/seeds/corpus/*.h5
#include <hdf5.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/sha256.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_corpus_reader: invariant broken: %s\n", what);
    std::abort();
  }
}

std::string temp_path;
bool verbose = false;

void remove_temp() {
  if (!temp_path.empty()) std::remove(temp_path.c_str());
}

// Temporary files left by fuzzer processes that crashed (fork mode).
void remove_stale_temps() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = "acc_fuzz_corpus_", suffix = ".h5";
    if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    if (::kill(pid_t(std::stol(digits)), 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), ec);
  }
}

// Seed corpora: small, written with the real writer.
void write_seeds(const std::string& dir) {
  using acc::data::CorpusHeader;
  using acc::data::CorpusWriter;
  using acc::tokenizer::Bpe;
  using acc::tokenizer::Tokenizer;
  const std::string bpe_json = Tokenizer(Bpe({{4, 165}, {98, 102}, {197, 60}})).to_json();
  const std::string remi_json = Tokenizer().to_json();
  const std::string config = "seed: 1\nsplit: {valid: 0.1, test: 0.1}\n";
  {  // Pairs in every split, BPE ids, empty sequences.
    CorpusWriter w(dir + "/small.h5", CorpusHeader{bpe_json, "piano->bass", config});
    w.set_songs({"a/song one.mid", "b/song-two.mid", "c/three.mid"});
    w.add("train", {197, 165, 45, 199, 4, 170, 50, 94, 105}, {197, 166, 20, 95, 101}, 0, 0);
    w.add("train", {4, 165, 60, 98, 102}, {}, 0, 1);
    w.add("train", {198, 198}, {4, 4, 165, 30, 96, 110}, 1, 0);
    w.add("valid", {4, 168, 70, 99, 103}, {4, 168, 30, 99, 103}, 2, 0);
    w.add("test", {199}, {197, 170, 40, 95, 120}, 1, 3);
    w.commit();
  }
  {  // Plain REMI, the other direction, one pair, empty valid and test splits.
    CorpusWriter w(dir + "/remi.h5", CorpusHeader{remi_json, "bass->piano", "seed: 2\n"});
    w.set_songs({"x.mid"});
    w.add("train", {4, 165, 45, 96, 104}, {4, 165, 65, 97, 103, 70, 97, 103}, 0, 0);
    w.commit();
  }
  {  // Nothing at all.
    CorpusWriter w(dir + "/empty.h5", CorpusHeader{remi_json, "piano->bass", ""});
    w.commit();
  }
}

uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

// Whether the bytes hold a known HDF5 defect trigger (see the file comment).
// Mirrors H5HG__cache_heap_deserialize of HDF5 1.10 on every "GCOL" block (a
// collection HDF5 reads starts with one), then looks for references into the
// collections: a variable-length value is stored as its length (4 bytes), the
// collection's address and an object index (4 bytes). False hits only skip
// an input.
bool hdf5_defect_input(const uint8_t* data, size_t size) {
  static const uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  // The superblock: at 0, 512, 1024, ...; its "size of offsets" and "size of lengths".
  size_t offsets = 0, lengths = 0;
  for (size_t at = 0; at + 16 <= size; at = at == 0 ? 512 : 2 * at) {
    if (std::memcmp(data + at, kSignature, 8) != 0) continue;
    const bool v01 = data[at + 8] <= 1;
    offsets = v01 ? data[at + 13] : data[at + 9];
    lengths = v01 ? data[at + 14] : data[at + 10];
    break;
  }
  if (lengths == 0) return false;  // HDF5 will not open it
  if (lengths > 8) return true;    // lengths HDF5 decodes into size_t by shifting past 64 bits
  const size_t header = 8 + lengths, object_header = 8 + lengths;
  struct Collection {
    uint64_t address, size;
    std::vector<bool> present;  // object indices 1..65535
  };
  std::vector<Collection> collections;
  for (size_t at = 0; at + header <= size; ++at) {
    if (std::memcmp(data + at, "GCOL", 4) != 0 || data[at + 4] != 1) continue;
    const uint64_t heap_size = load_le(data + at + 8, lengths);
    if (heap_size > size - at) continue;  // HDF5 fails to read it (past the end of the file)
    Collection c{at, heap_size, std::vector<bool>(65536, false)};
    for (uint64_t pos = header; pos < heap_size && pos + object_header <= heap_size;) {
      const uint64_t index = load_le(data + at + pos, 2);
      const uint64_t object_size = load_le(data + at + pos + 8, lengths);
      const uint64_t need = index > 0 ? object_header + ((object_size + 7) & ~uint64_t(7)) : object_size;
      if (need == 0 || need >= (uint64_t(1) << 40)) return true;  // no progress, or a wrapping pointer
      if (index > 0 && (object_size > heap_size || pos + need > heap_size)) return true;  // past the collection
      c.present[size_t(index)] = true;
      pos += need;
    }
    collections.push_back(std::move(c));
  }
  // A reference to an object its collection does not hold: H5HG_read reads an
  // object descriptor past the end of its array (SEGV).
  if (offsets != 8) return false;
  for (const Collection& c : collections) {
    uint8_t address[8];
    for (size_t i = 0; i < 8; ++i) address[i] = uint8_t(c.address >> (8 * i));
    for (size_t at = 4; at + 12 <= size; ++at) {
      if (std::memcmp(data + at, address, 8) != 0) continue;
      const uint64_t length = load_le(data + at - 4, 4), index = load_le(data + at + 8, 4);
      if (length >= 1 && length <= c.size && (index == 0 || index > 65535 || !c.present[size_t(index)])) return true;
    }
  }
  return false;
}

void check_split(const acc::data::Corpus& corpus, const acc::data::CorpusSplit& s) {
  const size_t vocab = size_t(corpus.vocab_size());
  size_t source_tokens = 0, target_tokens = 0, max_source = 0, max_target = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const acc::data::TokenSpan src = s.source(i), tgt = s.target(i);
    for (uint16_t t : src) check(t < vocab, "source token outside the vocabulary");
    for (uint16_t t : tgt) check(t < vocab, "target token outside the vocabulary");
    check(src.size == 0 || i == 0 || src.data == s.source(i - 1).end(), "source spans do not tile");
    check(tgt.size == 0 || i == 0 || tgt.data == s.target(i - 1).end(), "target spans do not tile");
    check(s.song(i) < corpus.songs().size(), "song index outside /songs");
    (void)s.window(i);
    source_tokens += src.size;
    target_tokens += tgt.size;
    max_source = std::max(max_source, src.size);
    max_target = std::max(max_target, tgt.size);
  }
  check(source_tokens == s.total_source_tokens(), "source spans do not cover the split's tokens");
  check(target_tokens == s.total_target_tokens(), "target spans do not cover the split's tokens");
  check(max_source == s.max_source_length() && max_target == s.max_target_length(), "max lengths");
  check(s.empty() == (s.size() == 0), "empty()");
}

size_t read_everything(const std::string& path) {
  const acc::data::Corpus corpus = acc::data::Corpus::open(path);
  check(acc::util::sha256_hex(corpus.tokenizer_json()) == corpus.tokenizer_sha256(), "tokenizer hash");
  const size_t arrow = corpus.direction().find("->");
  check(arrow != std::string::npos && arrow > 0 && arrow + 2 < corpus.direction().size(), "direction");
  check(corpus.vocab_size() >= 1 && corpus.vocab_size() <= 65536, "vocab_size range");
  check(corpus.path() == path, "path");
  for (const std::string& name : acc::data::split_names()) {
    const acc::data::CorpusSplit& s = corpus.split(name);
    check(s.name() == name, "split name");
    check(&corpus.split(name) == &s, "split loaded twice");
    check_split(corpus, s);
  }
  bool refused = false;
  try {
    (void)corpus.split("bogus");
  } catch (const acc::Error&) {
    refused = true;
  }
  check(refused, "unknown split name accepted");
  size_t pairs = 0;
  for (const std::string& name : acc::data::split_names()) pairs += corpus.split(name).size();
  return pairs;
}

}  // namespace

extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1:max_allocation_size_mb=256:detect_leaks=0";
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (const char* dir = std::getenv("ACCOMPANIST_FUZZ_WRITE_SEEDS")) {
    try {
      write_seeds(dir);
    } catch (const acc::Error& e) {
      std::fprintf(stderr, "fuzz_corpus_reader: writing seeds: %s\n", e.what());
      std::exit(1);
    }
    std::fprintf(stderr, "fuzz_corpus_reader: seeds written to %s\n", dir);
    std::exit(0);
  }
  remove_stale_temps();
  temp_path = "/tmp/acc_fuzz_corpus_" + std::to_string(::getpid()) + ".h5";
  std::atexit(remove_temp);
  verbose = std::getenv("ACCOMPANIST_FUZZ_VERBOSE") != nullptr;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (hdf5_defect_input(data, size)) {
    if (verbose) std::fprintf(stderr, "fuzz_corpus_reader: skipped: known HDF5 defect trigger\n");
    return -1;  // not added to the corpus
  }
  FILE* f = std::fopen(temp_path.c_str(), "wb");
  check(f != nullptr, "cannot create the temporary file");
  check(std::fwrite(data, 1, size, f) == size && std::fclose(f) == 0, "cannot write the temporary file");
  try {
    const size_t pairs = read_everything(temp_path);
    if (verbose) std::fprintf(stderr, "fuzz_corpus_reader: accepted, %zu pairs\n", pairs);
  } catch (const acc::Error& e) {
    if (verbose) std::fprintf(stderr, "fuzz_corpus_reader: rejected: %s\n", e.what());
  }
  // Every HDF5 object must be closed again (else the next open of the same
  // path would find the old file still open); then reset the library.
  check(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0, "HDF5 objects left open");
  H5close();  // HDF5 reinitializes on the next call, printing errors again
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return 0;
}
