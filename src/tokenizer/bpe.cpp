#include "accompanist/tokenizer/bpe.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "accompanist/util/error.h"

namespace acc::tokenizer {

namespace {

// At most this many base ids in the expansions of all ids together (64 MiB).
// Expansions are stored whole and may double with every merge ([197, 197],
// [198, 198], ...: 40 merges would expand to 2^41 ids), so a tiny tokenizer
// file could otherwise ask for terabytes. Real tokenizers are far below: the
// thesis's 500-id ones expand to under a thousand ids in all.
constexpr size_t kMaxExpansionIds = size_t(1) << 24;

}  // namespace

// Pair -> merge rank: open addressing with linear probing, at most 1/4 full.
// Small enough to stay in L1 for a few hundred merges (8 bytes a slot), which
// matters more than anything else in the encoder: a dense V x V table is
// hundreds of KiB of random accesses.
struct Bpe::RankTable {
  struct Slot {
    uint32_t key;  // a << 16 | b; kEmpty when free (ids are below 65535)
    int32_t rank;
  };
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  std::vector<Slot> slots;
  uint32_t mask = 0;
  int shift = 0;
  // Ranks of the merges of two base ids, dense (197 x 197 int16, 76 KiB):
  // the first scan looks up every adjacent pair, and independent loads from
  // one small table pipeline better than hashing.
  std::vector<int16_t> base;

  explicit RankTable(size_t merges) {
    int bits = 6;
    while ((size_t(1) << bits) < 4 * merges) ++bits;
    slots.assign(size_t(1) << bits, Slot{kEmpty, -1});
    base.assign(size_t(kBaseVocabSize) * size_t(kBaseVocabSize), -1);
    mask = uint32_t((size_t(1) << bits) - 1);
    shift = 32 - bits;
  }
  static uint32_t key(TokenId a, TokenId b) { return (uint32_t(a) << 16) | uint32_t(b); }
  size_t home(uint32_t k) const { return size_t((k * 0x9E3779B1u) >> shift); }
  // a and b must be ids below 65535.
  int32_t get(TokenId a, TokenId b) const {
    const uint32_t k = key(a, b);
    for (size_t h = home(k);; h = (h + 1) & mask) {
      const Slot& slot = slots[h];
      // Free slots hold rank -1: one well-predicted branch on the first probe.
      if (slot.key == k || slot.key == kEmpty) return slot.rank;
    }
  }
  void set(TokenId a, TokenId b, int32_t rank) {
    const uint32_t k = key(a, b);
    size_t h = home(k);
    while (slots[h].key != kEmpty && slots[h].key != k) h = (h + 1) & mask;
    slots[h] = Slot{k, rank};
    if (a < kBaseVocabSize && b < kBaseVocabSize && rank < 32768) {
      base[size_t(a) * kBaseVocabSize + size_t(b)] = int16_t(rank);
    }
  }
};

Bpe::Bpe() {
  build();
}

Bpe::Bpe(std::vector<Merge> merges) : merges_(std::move(merges)) {
  build();
}

Bpe::~Bpe() = default;
Bpe::Bpe(Bpe&&) noexcept = default;
Bpe& Bpe::operator=(Bpe&&) noexcept = default;
Bpe::Bpe(const Bpe& other) : merges_(other.merges_) {
  build();
}
Bpe& Bpe::operator=(const Bpe& other) {
  if (this != &other) {
    merges_ = other.merges_;
    build();
  }
  return *this;
}

void Bpe::build() {
  const size_t vocab = vocab_size();
  if (vocab > 65535) {
    throw Error("BPE merges", std::to_string(merges_.size()) + " merges make a vocabulary of " + std::to_string(vocab) +
                                  " ids; at most 65535 fit the corpus's uint16 tokens");
  }
  ranks_ = std::make_unique<RankTable>(merges_.size());
  expansion_offsets_.assign(1, 0);
  expansion_data_.clear();
  for (TokenId id = 0; id < kBaseVocabSize; ++id) {
    expansion_data_.push_back(id);
    expansion_offsets_.push_back(uint32_t(expansion_data_.size()));
  }
  for (size_t i = 0; i < merges_.size(); ++i) {
    const TokenId new_id = TokenId(kBaseVocabSize + i);
    const auto [a, b] = merges_[i];
    for (TokenId part : {a, b}) {
      if (part < kNumSpecial || part >= new_id) {
        throw Error("merge " + std::to_string(i),
                    "(" + std::to_string(a) + ", " + std::to_string(b) + ") refers to id " + std::to_string(part) +
                        (part < kNumSpecial && part >= 0
                             ? ", a special token that is never merged"
                             : ", which is not defined before it (ids 4.." + std::to_string(new_id - 1) + ")"));
      }
    }
    if (int32_t earlier = ranks_->get(a, b); earlier >= 0) {
      throw Error("merge " + std::to_string(i),
                  "(" + std::to_string(a) + ", " + std::to_string(b) + ") repeats merge " + std::to_string(earlier));
    }
    ranks_->set(a, b, int32_t(i));
    const size_t length = size_t(expansion_offsets_[size_t(a) + 1] - expansion_offsets_[size_t(a)]) +
                          size_t(expansion_offsets_[size_t(b) + 1] - expansion_offsets_[size_t(b)]);
    if (expansion_data_.size() + length > kMaxExpansionIds) {
      throw Error("merge " + std::to_string(i),
                  "(" + std::to_string(a) + ", " + std::to_string(b) + ") expands to " + std::to_string(length) +
                      " base ids, which brings the expansions of all ids past the limit of " +
                      std::to_string(kMaxExpansionIds));
    }
    for (TokenId part : {a, b}) {
      size_t begin = expansion_offsets_[size_t(part)], end = expansion_offsets_[size_t(part) + 1];
      for (size_t k = begin; k < end; ++k) expansion_data_.push_back(expansion_data_[k]);
    }
    expansion_offsets_.push_back(uint32_t(expansion_data_.size()));
  }
}

int32_t Bpe::rank(TokenId a, TokenId b) const {
  if (a < 0 || b < 0 || size_t(a) >= vocab_size() || size_t(b) >= vocab_size()) return -1;
  return ranks_->get(a, b);
}

TokenSeq Bpe::encode(const TokenSeq& base_ids) const {
  TokenSeq out;
  encode(base_ids.data(), base_ids.size(), out);
  return out;
}

namespace {

// Per-thread buffers of the encoder, kept between calls. Rank r's FIFO list
// of candidate positions starts at the sentinel cell r and ends at tail[r]
// (no empty-list branch when queuing). Invariant between calls: every list is
// empty (tail[r] == r) and no bit of `pending` is set.
struct EncodeScratch {
  std::vector<int32_t> c, prev, next;          // symbols as a doubly linked list; c = -1 once merged away
  std::vector<int32_t> tail;                   // per rank: last cell of its list
  std::vector<int32_t> entry_pos, entry_next;  // list cells; the first `ranks` are the sentinels
  std::vector<uint64_t> pending;               // bit per rank with a non-empty list

  void reserve(size_t n, size_t ranks) {
    const size_t lists = ranks;
    for (size_t r = tail.size(); r < lists; ++r) tail.push_back(int32_t(r));
    if (pending.size() < (lists + 63) / 64) pending.resize((lists + 63) / 64, 0);
    if (c.size() < n) {
      c.resize(n);
      prev.resize(n);
      next.resize(n);
    }
    // Sentinels, n - 1 first pairs and at most two new pairs per merge (< n merges).
    if (entry_pos.size() < lists + 3 * n) {
      entry_pos.resize(lists + 3 * n);
      entry_next.resize(lists + 3 * n);
    }
  }
};

constexpr size_t kInvalidInput = ~size_t(0);

// Encodes base_ids into s.c; returns the length, or kInvalidInput when an id
// is not a base id.
template <class Lookup>
size_t encode_symbols(const TokenId* base_ids, size_t n, const std::vector<Merge>& merges, const int16_t* base_rank,
                      Lookup rank, EncodeScratch& s) {
  int32_t* const c = s.c.data();
  int32_t* const prev = s.prev.data();
  int32_t* const next = s.next.data();
  int32_t* const entry_pos = s.entry_pos.data();
  int32_t* const entry_next = s.entry_next.data();
  int32_t* const tail = s.tail.data();
  uint64_t* const pending = s.pending.data();
  int32_t cells = int32_t(merges.size());  // after the sentinels
  // Appends position to the list of rank r (nothing when r < 0: no merge).
  auto push = [&](int32_t r, int32_t position) {
    if (r < 0) return;
    const int32_t cell = cells++;
    entry_pos[cell] = position;
    entry_next[cell] = -1;
    // Lists stay in position order: a rank's list is filled either by the
    // first scan (base pairs) or while the one lower rank that creates its
    // newer id is merged, left to right (the pair (x, new) is pushed at x's
    // position, which is at or after the previous merge). Hugging Face's
    // (rank, position) order needs exactly this for pairs (a, a).
    assert(tail[r] == r || position >= entry_pos[tail[r]]);
    entry_next[tail[r]] = cell;
    tail[r] = cell;
    pending[r >> 6] |= uint64_t(1) << (r & 63);
  };
  // Symbols, then the candidate pairs left to right.
  bool bad = false;
  for (size_t i = 0; i < n; ++i) {
    c[i] = base_ids[i];
    bad |= uint32_t(c[i]) >= uint32_t(kBaseVocabSize);
    prev[i] = int32_t(i) - 1;
    next[i] = int32_t(i) + 1;
  }
  next[n - 1] = -1;
  if (bad) return kInvalidInput;  // nothing queued yet: the scratch invariant holds
  for (size_t i = 0; i + 1 < n; ++i) push(base_rank[c[i] * kBaseVocabSize + c[i + 1]], int32_t(i));
  // Merges one rank at a time, each rank's positions left to right.
  auto merge_at = [&](int32_t p, TokenId a, TokenId b, TokenId merged) {
    if (c[p] != a) return;  // merged away or into something else since
    const int32_t q = next[p];
    if (q < 0 || c[q] != b) return;
    const int32_t after = next[q];
    c[p] = merged;
    c[q] = -1;
    next[p] = after;
    if (after >= 0) {
      prev[after] = p;
      push(rank(merged, c[after]), p);
    }
    const int32_t before = prev[p];
    if (before >= 0) push(rank(c[before], merged), before);
  };
  const size_t words = s.pending.size();
  for (size_t word = 0; word < words;) {
    if (pending[word] == 0) {
      ++word;
      continue;
    }
    const int bit = __builtin_ctzll(pending[word]);
    const int32_t r = int32_t(word * 64 + size_t(bit));
    pending[word] &= pending[word] - 1;
    tail[r] = r;
    const TokenId a = merges[size_t(r)].first, b = merges[size_t(r)].second;
    const TokenId merged = kBaseVocabSize + r;
    // Merging pushes only to higher ranks, so this list is not touched meanwhile.
    for (int32_t cell = entry_next[r]; cell >= 0; cell = entry_next[cell]) merge_at(entry_pos[cell], a, b, merged);
  }
  // Merged-away symbols have c = -1; a linear pass beats following next.
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    c[m] = c[i];
    m += c[i] >= 0;
  }
  return m;
}

}  // namespace

void Bpe::encode(const TokenId* base_ids, size_t n, TokenSeq& out) const {
  auto check = [&] {
    for (size_t i = 0; i < n; ++i) {
      if (uint32_t(base_ids[i]) >= uint32_t(kBaseVocabSize)) {
        throw Error("token " + std::to_string(i), "id " + std::to_string(base_ids[i]) + " is not a base REMI id (0.." +
                                                      std::to_string(kBaseVocabSize - 1) + ")");
      }
    }
  };
  if (merges_.empty() || n < 2) {
    check();
    out.assign(base_ids, base_ids + n);
    return;
  }
  // Hugging Face merges the candidate pair of lowest (rank, position) first.
  // A merge only creates pairs that contain its new id, whose merges all have
  // higher ranks, so the lowest pending rank never goes down: instead of a
  // heap, walk the ranks upwards (a bitset finds the next pending one) and
  // take each rank's positions left to right. Same result, no log factor.
  thread_local EncodeScratch scratch;
  EncodeScratch& s = scratch;
  s.reserve(n, merges_.size());
  const RankTable& table = *ranks_;
  const size_t m = encode_symbols(
      base_ids, n, merges_, table.base.data(), [&table](int32_t a, int32_t b) { return table.get(a, b); }, s);
  if (m == kInvalidInput) check();
  out.assign(s.c.data(), s.c.data() + m);
}

TokenSeq Bpe::decode(const TokenSeq& ids) const {
  TokenSeq out;
  decode(ids.data(), ids.size(), out);
  return out;
}

void Bpe::decode(const TokenId* ids, size_t n, TokenSeq& out) const {
  out.clear();
  for (size_t i = 0; i < n; ++i) {
    size_t length = 0;
    const TokenId* e = expansion(ids[i], &length);
    if (e == nullptr) {
      throw Error("token " + std::to_string(i), "id " + std::to_string(ids[i]) + " is outside the vocabulary of " +
                                                    std::to_string(vocab_size()) + " ids");
    }
    out.insert(out.end(), e, e + length);
  }
}

const TokenId* Bpe::expansion(TokenId id, size_t* length) const {
  if (id < 0 || size_t(id) >= vocab_size()) {
    *length = 0;
    return nullptr;
  }
  *length = expansion_offsets_[size_t(id) + 1] - expansion_offsets_[size_t(id)];
  return expansion_data_.data() + expansion_offsets_[size_t(id)];
}

TokenSeq Bpe::expansion(TokenId id) const {
  size_t length = 0;
  const TokenId* e = expansion(id, &length);
  if (e == nullptr) {
    throw Error("token",
                "id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab_size()) + " ids");
  }
  return TokenSeq(e, e + length);
}

}  // namespace acc::tokenizer
