// The util thread pool and progress bar (owned by the data stage, which uses them most).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include "accompanist/util/progress.h"
#include "accompanist/util/thread_pool.h"

using acc::util::Progress;
using acc::util::ThreadPool;

namespace {

TEST(ThreadPool, ParallelForVisitsEveryIndexOnce) {
  for (int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    std::vector<std::atomic<int>> hits(1000);
    pool.parallel_for(hits.size(), [&](size_t i) { hits[i]++; });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    pool.parallel_for(0, [&](size_t) { FAIL(); });
  }
  EXPECT_GE(ThreadPool(0).size(), 1);
  EXPECT_GE(acc::util::resolve_thread_count(0), 1);
  EXPECT_EQ(acc::util::resolve_thread_count(3), 3);
}

TEST(ThreadPool, SubmitReturnsValuesAndExceptions) {
  ThreadPool pool(2);
  auto a = pool.submit([] { return 41 + 1; });
  auto b = pool.submit([]() -> int { throw std::runtime_error("boom"); });
  EXPECT_EQ(a.get(), 42);
  EXPECT_THROW(b.get(), std::runtime_error);
}

TEST(ThreadPool, ParallelForRethrowsAndStops) {
  ThreadPool pool(2);
  std::atomic<int> done{0};
  EXPECT_THROW(pool.parallel_for(100000,
                                 [&](size_t i) {
                                   if (i == 10) throw std::runtime_error("bad index");
                                   done++;
                                 }),
               std::runtime_error);
  EXPECT_LT(done.load(), 100000 - 1);  // stopped early
  // The pool is still usable.
  std::atomic<int> n{0};
  pool.parallel_for(10, [&](size_t) { n++; });
  EXPECT_EQ(n.load(), 10);
}

TEST(Progress, StatusLineAndModes) {
  Progress::Options off;
  off.mode = Progress::Mode::Off;
  Progress p("prep", 2000, "files", off);
  EXPECT_EQ(p.status_line(120, 10.0), "prep: 120/2000 files (6.0%), 12.0 files/s, ETA 2:37");
  EXPECT_EQ(p.status_line(0, 0.0), "prep: 0/2000 files (0.0%), 0.0 files/s, ETA ?");
  EXPECT_EQ(acc::util::format_duration(3723), "1:02:03");
  EXPECT_EQ(acc::util::format_duration(59.6), "1:00");

  // Lines mode on a file: one line per interval and a final summary.
  std::FILE* f = std::tmpfile();
  Progress::Options lines;
  lines.mode = Progress::Mode::Lines;
  lines.line_interval_s = 0;  // every add
  lines.out = f;
  {
    Progress q("synth", 3, "songs", lines);
    q.add();
    q.add(2);
    EXPECT_EQ(q.done(), 3u);
  }
  std::rewind(f);
  char buf[4096] = {0};
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  std::string text(buf, n);
  EXPECT_NE(text.find("synth: 1/3 songs"), std::string::npos) << text;
  EXPECT_NE(text.find("synth: 3/3 songs"), std::string::npos) << text;
  EXPECT_NE(text.find("synth: 3 songs in"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);  // no bar redraws in a log
}

}  // namespace
