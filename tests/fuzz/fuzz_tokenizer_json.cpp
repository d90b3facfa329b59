// libFuzzer target: arbitrary bytes as tokenizer JSON, read with
// Tokenizer::from_json (what Tokenizer::load, the tokenize, prep and generate
// commands and the corpus's tokenizer attribute go through). It must either
// throw acc::Error or give a tokenizer that
//  - has 197 + merges ids (at most 65535), each merge joining two earlier
//    non-special ids, no pair twice, and every BPE id's expansion the
//    concatenation of its pair's expansions;
//  - survives its canonical JSON: from_json(to_json()) has the same merges,
//    the same to_json() bytes and the same sha256;
//  - BPE-encodes a short token sequence (REMI of a few notes, specials and
//    the expansions of its first merges) to ids below its vocabulary with no
//    mergeable pair left, decodes it back to the same sequence, and decodes
//    it to the same notes as plain REMI; for small vocabularies the grammar
//    built from it agrees with the base grammar on that sequence.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "accompanist/tokenizer/grammar.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/tokenizer/vocabulary.h"
#include "accompanist/util/error.h"

namespace {

using namespace acc::tokenizer;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_tokenizer_json: invariant broken: %s\n", what);
    std::abort();
  }
}

// Grammars are built (states x vocabulary) only for vocabularies this small.
constexpr size_t kMaxGrammarVocab = 220;
// Expansions are joined into the test sequence only while it stays this short.
constexpr size_t kMaxSequence = 2048;

struct Fixture {
  TokenSeq remi;  // base ids of a few notes
  Grammar base_grammar{Bpe()};
  Fixture() {
    const std::vector<acc::midi::Note> notes = {{60, 100, 0, 96},   {64, 90, 0, 48},    {67, 80, 48, 96},
                                                {36, 70, 96, 480},  {60, 100, 96, 192}, {62, 64, 200, 230},
                                                {60, 100, 800, 900}};
    remi = encode_remi(notes, 96);
  }
};

const Fixture* fixture = nullptr;

void check_tokenizer(const Tokenizer& tok) {
  const Bpe& bpe = tok.bpe();
  const std::vector<Merge>& merges = bpe.merges();
  check(tok.vocab_size() == size_t(kBaseVocabSize) + merges.size(), "vocab_size != 197 + merges");
  check(tok.vocab_size() <= 65535, "vocabulary does not fit uint16");

  std::set<Merge> seen;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto [a, b] = merges[i];
    const TokenId id = TokenId(kBaseVocabSize + i);
    check(a >= kNumSpecial && b >= kNumSpecial && a < id && b < id, "merge refers to a special or later id");
    check(seen.insert(merges[i]).second, "repeated merge");
    check(bpe.rank(a, b) == int32_t(i), "rank of a merge");
    size_t na = 0, nb = 0, n = 0;
    const TokenId* ea = bpe.expansion(a, &na);
    const TokenId* eb = bpe.expansion(b, &nb);
    const TokenId* e = bpe.expansion(id, &n);
    check(ea && eb && e && n == na + nb, "expansion length");
    check(TokenSeq(e, e + na) == TokenSeq(ea, ea + na) && TokenSeq(e + na, e + n) == TokenSeq(eb, eb + nb),
          "expansion is not the pair's expansions joined");
  }
  size_t n = 0;
  check(bpe.expansion(TokenId(tok.vocab_size()), &n) == nullptr, "expansion past the vocabulary");

  // Canonical JSON round trip.
  const std::string json = tok.to_json();
  Tokenizer back;
  try {
    back = Tokenizer::from_json(json, "<canonical>");
  } catch (const acc::Error& e) {
    std::fprintf(stderr, "fuzz_tokenizer_json: canonical JSON rejected: %s\n", e.what());
    std::abort();
  }
  check(back.bpe().merges() == merges, "round trip merges");
  check(back.to_json() == json, "to_json is not a fixed point");
  check(back.sha256() == tok.sha256(), "sha256 of the round trip");

  // A short sequence: REMI, specials, and the expansions of the first merges.
  TokenSeq base = fixture->remi;
  base.insert(base.begin(), kBos);
  base.push_back(kEos);
  base.push_back(kPad);
  for (size_t i = 0; i < merges.size() && i < 64; ++i) {
    const TokenSeq e = bpe.expansion(TokenId(kBaseVocabSize + i));
    if (base.size() + e.size() > kMaxSequence) break;
    base.insert(base.end(), e.begin(), e.end());
  }
  const TokenSeq ids = tok.apply_bpe(base);
  check(ids.size() <= base.size(), "BPE longer than its input");
  for (TokenId id : ids) check(id >= 0 && size_t(id) < tok.vocab_size(), "BPE id outside the vocabulary");
  for (size_t i = 0; i + 1 < ids.size(); ++i) check(bpe.rank(ids[i], ids[i + 1]) < 0, "mergeable pair left");
  check(tok.decode_bpe(ids) == base, "BPE decode(encode(x)) != x");
  const DecodeResult plain = decode_remi(base);
  const DecodeResult r = tok.decode(ids);
  check(r.notes == plain.notes && r.errors == plain.errors, "Tokenizer::decode != decode_remi");
  check(r.tokens == int64_t(ids.size()), "Tokenizer::decode token count");

  // The REMI part alone is grammatical; its BPE ids must be too.
  const TokenSeq remi_ids = tok.apply_bpe(fixture->remi);
  check(tok.decode_bpe(remi_ids) == fixture->remi, "BPE round trip of REMI");
  if (tok.vocab_size() <= kMaxGrammarVocab) {
    const Grammar grammar(bpe);
    check(grammar.vocab_size() == tok.vocab_size(), "grammar vocabulary");
    const Grammar::State s = grammar.run(remi_ids);
    check(s != Grammar::kDead && grammar.may_end(s), "grammar rejects the BPE ids of valid REMI");
    const Grammar::State sb = grammar.run(ids), sp = fixture->base_grammar.run(base);
    check((sb == Grammar::kDead) == (sp == Grammar::kDead), "BPE grammar disagrees with the base grammar");
  }
  for (TokenId id = 0; id < TokenId(tok.vocab_size()) && id < kBaseVocabSize + 16; ++id) {
    check(!tok.token_name(id).empty(), "token name");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixture = new Fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Tokenizer tok;
  try {
    tok = Tokenizer::from_json(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>");
  } catch (const acc::Error&) {
    return 0;  // rejected cleanly
  }
  check_tokenizer(tok);
  return 0;
}
