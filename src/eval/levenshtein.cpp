#include "accompanist/eval/levenshtein.h"

#include <algorithm>

#include "accompanist/util/error.h"
#include "accompanist/util/thread_pool.h"
#include "eval/random.h"

namespace acc::eval {

int levenshtein(std::string_view a, std::string_view b) {
  // One row of the table at a time: row[j] = distance(a[0..i), b[0..j)).
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = int(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = int(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

int rhythm_distance(uint32_t a, uint32_t b) {
  // Pattern = b (bit i = character i), text = a, read character by character.
  // VP/VN: the vertical deltas +1/-1 of the current column; the score follows
  // the last row. Shifting a 1 into HP makes the top row D[0][j] = j (global
  // distance rather than substring search).
  const uint32_t peq[2] = {~b, b};
  uint32_t vp = ~0u, vn = 0;
  int score = 32;
  for (int j = 0; j < 32; ++j) {
    const uint32_t eq = peq[(a >> j) & 1u];
    const uint32_t xv = eq | vn;
    const uint32_t xh = (((eq & vp) + vp) ^ vp) | eq;
    uint32_t hp = vn | ~(xh | vp);
    uint32_t hn = vp & xh;
    score += int(hp >> 31) - int(hn >> 31);
    hp = (hp << 1) | 1u;
    hn <<= 1;
    vp = hn | ~(xv | hp);
    vn = hp & xv;
  }
  return score;
}

namespace {

// Eight 32-bit lanes; every operation below is lane-wise, including the
// addition, whose carries stay inside a lane exactly as in the scalar form.
typedef uint32_t U32x8 __attribute__((vector_size(32)));
constexpr size_t kLanes = 8;

void rhythm_distances8(const uint32_t* a_in, const uint32_t* b_in, int* out) {
  U32x8 a, b;
  for (size_t i = 0; i < kLanes; ++i) {
    a[i] = a_in[i];
    b[i] = b_in[i];
  }
  const U32x8 zero = {0, 0, 0, 0, 0, 0, 0, 0};
  U32x8 vp = ~zero, vn = zero, score = zero + 32u;
  for (int j = 0; j < 32; ++j) {
    // Character j of a selects the match mask: b where it is '1', ~b where '0'.
    const U32x8 select = zero - ((a >> j) & 1u);
    const U32x8 eq = ~(b ^ select);
    const U32x8 xv = eq | vn;
    const U32x8 xh = (((eq & vp) + vp) ^ vp) | eq;
    U32x8 hp = vn | ~(xh | vp);
    U32x8 hn = vp & xh;
    score += (hp >> 31) - (hn >> 31);
    hp = (hp << 1) | 1u;
    hn <<= 1;
    vp = hn | ~(xv | hp);
    vn = hp & xv;
  }
  for (size_t i = 0; i < kLanes; ++i) out[i] = int(score[i]);
}

}  // namespace

void rhythm_distances(const uint32_t* a, const uint32_t* b, size_t n, int* out) {
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) rhythm_distances8(a + i, b + i, out + i);
  if (i < n) {
    uint32_t ta[kLanes] = {}, tb[kLanes] = {};
    int tout[kLanes];
    for (size_t k = i; k < n; ++k) {
      ta[k - i] = a[k];
      tb[k - i] = b[k];
    }
    rhythm_distances8(ta, tb, tout);
    for (size_t k = i; k < n; ++k) out[k] = tout[k - i];
  }
}

PairDistanceResult mean_random_pair_distance(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                                             const PairDistanceOptions& options) {
  PairDistanceResult result;
  if (a.empty() || b.empty() || options.pairs == 0) return result;
  if (options.distinct) {
    ACC_CHECK(a.size() == b.size(), "random pairs", "distinct pairs need one set given twice");
    if (a.size() < 2) return result;
  }
  // Fixed blocks with their own generators: the draw of pair k never depends
  // on which thread handles its block.
  constexpr uint64_t kBlock = uint64_t(1) << 16;
  const uint64_t blocks = (options.pairs + kBlock - 1) / kBlock;
  std::vector<uint64_t> sums(blocks, 0);
  const uint32_t* pa = a.data();
  const uint32_t* pb = b.data();
  const uint64_t na = a.size(), nb = b.size();
  auto run_block = [&](size_t block) {
    detail::Rng rng(options.seed, block);
    const uint64_t begin = block * kBlock;
    const uint64_t end = std::min(options.pairs, begin + kBlock);
    // Draw the pairs of a batch, then measure them eight at a time.
    constexpr size_t kBatch = 256;
    uint32_t xs[kBatch], ys[kBatch];
    int distances[kBatch];
    uint64_t sum = 0;
    for (uint64_t k = begin; k < end;) {
      const size_t n = size_t(std::min<uint64_t>(kBatch, end - k));
      for (size_t m = 0; m < n; ++m) {
        const uint64_t i = rng.below(na);
        uint64_t j;
        if (options.distinct) {
          j = rng.below(nb - 1);
          if (j >= i) ++j;  // uniform over the others
        } else {
          j = rng.below(nb);
        }
        xs[m] = pa[i];
        ys[m] = pb[j];
      }
      rhythm_distances(xs, ys, n, distances);
      for (size_t m = 0; m < n; ++m) sum += uint64_t(distances[m]);
      k += n;
    }
    sums[block] = sum;
  };
  const int threads = util::resolve_thread_count(options.threads);
  if (threads <= 1 || blocks == 1) {
    for (size_t block = 0; block < blocks; ++block) run_block(block);
  } else {
    util::ThreadPool pool(std::min<int>(threads, int(blocks)));
    pool.parallel_for(blocks, run_block);
  }
  for (uint64_t s : sums) result.distance_sum += s;
  result.pairs = options.pairs;
  result.mean = double(result.distance_sum) / double(result.pairs);
  return result;
}

}  // namespace acc::eval
