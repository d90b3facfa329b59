// The sampler against distributions computed here by hand from the
// definitions (softmax with temperature, top-k, nucleus, typical sets), and
// empirically: top-k only ever picks among the k best, masked ids are never
// drawn, greedy is argmax, the same seed gives the same draws whatever
// LibTorch's global generator does.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "accompanist/generate/sampler.h"
#include "accompanist/util/error.h"

namespace {

using acc::generate::Sampler;
using acc::generate::SamplingOptions;

SamplingOptions opts(double temperature, int64_t k = 0, double p = 1.0, double typical = 1.0) {
  SamplingOptions o;
  o.temperature = temperature;
  o.top_k = k;
  o.top_p = p;
  o.typical_p = typical;
  return o;
}

std::vector<float> logits_of_probs(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(float(std::log(p)));
  return out;
}

std::vector<double> frequencies(Sampler& s, const std::vector<float>& logits, int draws,
                                const uint8_t* mask = nullptr) {
  std::vector<double> f(logits.size(), 0.0);
  for (int i = 0; i < draws; ++i) f[size_t(s.sample(logits.data(), logits.size(), mask))] += 1.0 / draws;
  return f;
}

TEST(Sampler, TemperatureOneIsTheSoftmax) {
  const std::vector<float> logits = {1.0f, 2.0f, -0.5f, 0.25f, 3.0f};
  Sampler s(opts(1.0), 7);
  const auto p = s.distribution(logits.data(), logits.size());
  double z = 0;
  for (float x : logits) z += std::exp(double(x));
  for (size_t i = 0; i < logits.size(); ++i) EXPECT_NEAR(p[i], std::exp(double(logits[i])) / z, 1e-12);
  const auto f = frequencies(s, logits, 40000);
  for (size_t i = 0; i < logits.size(); ++i) EXPECT_NEAR(f[i], p[i], 0.01) << i;
}

TEST(Sampler, TemperatureScalesLogits) {
  const std::vector<float> logits = {1.0f, 2.0f, -0.5f, 0.25f};
  for (double t : {0.5, 2.0, 10.0}) {
    Sampler s(opts(t), 1);
    const auto p = s.distribution(logits.data(), logits.size());
    double z = 0;
    for (float x : logits) z += std::exp(double(x) / t);
    for (size_t i = 0; i < logits.size(); ++i) EXPECT_NEAR(p[i], std::exp(double(logits[i]) / t) / z, 1e-12);
  }
}

TEST(Sampler, TemperatureZeroIsGreedy) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> logits(100);
    for (float& x : logits) x = normal(rng);
    const int64_t best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    Sampler s(opts(0.0), uint64_t(trial));
    EXPECT_TRUE(s.options().greedy());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(s.sample(logits.data(), logits.size()), best);
    // Greedy under a mask: the best allowed id.
    std::vector<uint8_t> mask(logits.size(), 1);
    mask[size_t(best)] = 0;
    std::vector<float> others = logits;
    others[size_t(best)] = -1e30f;
    const int64_t second = std::max_element(others.begin(), others.end()) - others.begin();
    EXPECT_EQ(s.sample(logits.data(), logits.size(), mask.data()), second);
  }
  // Ties go to the smaller id.
  const std::vector<float> tied = {0.f, 5.f, 1.f, 5.f};
  Sampler s(opts(0.0), 1);
  EXPECT_EQ(s.sample(tied.data(), tied.size()), 1);
}

TEST(Sampler, TopKOnlyPicksAmongTheKBest) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  for (int64_t k : {1, 3, 10}) {
    std::vector<float> logits(200);
    for (float& x : logits) x = normal(rng);
    std::vector<int> order(logits.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return logits[size_t(a)] > logits[size_t(b)]; });
    const std::set<int64_t> best(order.begin(), order.begin() + k);
    Sampler s(opts(1.0, k), uint64_t(k));
    std::set<int64_t> seen;
    for (int i = 0; i < 3000; ++i) {
      const int64_t id = s.sample(logits.data(), logits.size());
      ASSERT_TRUE(best.count(id)) << "k " << k << " picked " << id;
      seen.insert(id);
    }
    EXPECT_EQ(seen, best);  // and every one of them is possible
    // Renormalised softmax over the k best.
    const auto p = s.distribution(logits.data(), logits.size());
    double z = 0;
    for (int64_t id : best) z += std::exp(double(logits[size_t(id)]));
    for (int64_t id : best) EXPECT_NEAR(p[size_t(id)], std::exp(double(logits[size_t(id)])) / z, 1e-12);
  }
}

TEST(Sampler, TopPKeepsTheSmallestSetWithTheMass) {
  const std::vector<float> logits = logits_of_probs({0.05, 0.5, 0.15, 0.3});
  {
    Sampler s(opts(1.0, 0, 0.7), 1);  // 0.5 < 0.7 <= 0.5 + 0.3: ids 1 and 3
    const auto p = s.distribution(logits.data(), logits.size());
    EXPECT_NEAR(p[1], 0.5 / 0.8, 1e-6);
    EXPECT_NEAR(p[3], 0.3 / 0.8, 1e-6);
    EXPECT_EQ(p[0], 0.0);
    EXPECT_EQ(p[2], 0.0);
    const auto f = frequencies(s, logits, 20000);
    EXPECT_NEAR(f[1], 0.625, 0.015);
    EXPECT_EQ(f[0] + f[2], 0.0);
  }
  {
    Sampler s(opts(1.0, 0, 0.9), 1);  // 0.8 < 0.9 <= 0.95: ids 1, 3, 2
    const auto p = s.distribution(logits.data(), logits.size());
    EXPECT_NEAR(p[2], 0.15 / 0.95, 1e-6);
    EXPECT_EQ(p[0], 0.0);
  }
  {
    Sampler s(opts(1.0, 0, 0.1), 1);  // always at least the most likely id
    const auto p = s.distribution(logits.data(), logits.size());
    EXPECT_NEAR(p[1], 1.0, 1e-12);
  }
  {
    Sampler s(opts(1.0, 2, 0.5), 1);  // top-k first, then the nucleus of what is left: 0.5/0.8 >= 0.5
    const auto p = s.distribution(logits.data(), logits.size());
    EXPECT_NEAR(p[1], 1.0, 1e-12);
  }
}

TEST(Sampler, TypicalKeepsIdsNearTheEntropy) {
  const std::vector<double> probs = {0.4, 0.3, 0.2, 0.1};
  double h = 0;
  for (double q : probs) h -= q * std::log(q);  // 1.2799
  // |-log q - H|: 0.364, 0.076, 0.330, 1.023 -> order 1, 2, 0, 3.
  Sampler s(opts(1.0, 0, 1.0, 0.45), 1);  // 0.3 < 0.45 <= 0.5: ids 1 and 2
  const auto p = s.distribution(logits_of_probs(probs).data(), probs.size());
  EXPECT_NEAR(p[1], 0.6, 1e-6);
  EXPECT_NEAR(p[2], 0.4, 1e-6);
  EXPECT_EQ(p[0], 0.0);
  EXPECT_EQ(p[3], 0.0);
  EXPECT_GT(std::abs(-std::log(0.4) - h), std::abs(-std::log(0.2) - h));
}

TEST(Sampler, MaskedIdsAreNeverDrawn) {
  const std::vector<float> logits = {5.f, 0.f, 4.f, 1.f, 3.f};
  const std::vector<uint8_t> mask = {0, 1, 0, 1, 1};
  Sampler s(opts(1.0), 5);
  const auto f = frequencies(s, logits, 5000, mask.data());
  EXPECT_EQ(f[0] + f[2], 0.0);
  EXPECT_GT(f[4], f[3]);
  const std::vector<uint8_t> none(logits.size(), 0);
  EXPECT_THROW(s.sample(logits.data(), logits.size(), none.data()), acc::Error);
  const std::vector<float> nan = {0.f, std::nanf("")};
  EXPECT_THROW(s.sample(nan.data(), nan.size()), acc::Error);
}

TEST(Sampler, SameSeedSameDrawsWhateverTorchDoes) {
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  std::vector<float> logits(64);
  for (float& x : logits) x = normal(rng);
  auto draws = [&](uint64_t seed, bool disturb) {
    Sampler s(opts(1.3, 20, 0.95), seed);
    std::vector<int64_t> out;
    for (int i = 0; i < 200; ++i) {
      if (disturb) {
        torch::manual_seed(uint64_t(i));
        (void)torch::rand({3});
      }
      out.push_back(s.sample(logits.data(), logits.size()));
    }
    return out;
  };
  EXPECT_EQ(draws(42, false), draws(42, true));
  EXPECT_NE(draws(42, false), draws(43, false));
  EXPECT_NE(acc::generate::derive_seed(1, 0), acc::generate::derive_seed(1, 1));
  EXPECT_NE(acc::generate::derive_seed(1, 0), acc::generate::derive_seed(2, 0));
}

TEST(Sampler, BatchOfRowsWithPerRowMasks) {
  torch::manual_seed(0);
  torch::Tensor logits = torch::randn({4, 30});  // [B, V]
  std::vector<std::vector<uint8_t>> masks(4, std::vector<uint8_t>(30, 0));
  for (int r = 0; r < 4; ++r) masks[size_t(r)][size_t(r * 7)] = 1;  // one allowed id per row
  std::vector<const uint8_t*> ptrs = {masks[0].data(), masks[1].data(), masks[2].data(), masks[3].data()};
  Sampler s(opts(1.0, 5), 9);
  EXPECT_EQ(s.sample(logits, ptrs), (std::vector<int64_t>{0, 7, 14, 21}));
  Sampler g(opts(0.0), 9);
  torch::Tensor best = logits.argmax(1).contiguous();  // [B]
  EXPECT_EQ(g.sample(logits.to(torch::kDouble)),
            std::vector<int64_t>(best.data_ptr<int64_t>(), best.data_ptr<int64_t>() + 4));
  EXPECT_THROW(s.sample(logits, {ptrs[0]}), acc::Error);
}

TEST(Sampler, RejectsBadOptions) {
  EXPECT_THROW(Sampler(opts(-1.0), 1), acc::Error);
  EXPECT_THROW(Sampler(opts(1.0, -2), 1), acc::Error);
  EXPECT_THROW(Sampler(opts(1.0, 0, 0.0), 1), acc::Error);
  EXPECT_THROW(Sampler(opts(1.0, 0, 1.5), 1), acc::Error);
  EXPECT_THROW(Sampler(opts(1.0, 0, 1.0, 0.0), 1), acc::Error);
  EXPECT_EQ(opts(1.0, 3).describe(), "temperature 1, top-k 3");
  EXPECT_EQ(opts(0.0).describe(), "greedy");
}

}  // namespace
