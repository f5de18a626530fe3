// GPU time through GL_TIMESTAMP queries (glQueryCounter before and after a run: the timestamp is
// taken when all earlier commands are complete), and the statistics every benchmark reports.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "gl_ref/gl.h"

namespace spork::gl {

// A pool of query objects; results are read (waiting for the GPU) after all runs were issued,
// so reading never stalls the pipeline between runs.
class TimerQueries {
 public:
  explicit TimerQueries(size_t count);
  ~TimerQueries();
  TimerQueries(const TimerQueries&) = delete;
  TimerQueries& operator=(const TimerQueries&) = delete;

  void timestamp(size_t i) const { glQueryCounter(ids_[i], GL_TIMESTAMP); }
  // The query's timestamp in nanoseconds; waits for it.
  uint64_t result_ns(size_t i) const;
  // Timestamp query end minus timestamp query begin, in ms; throws Error if time ran backwards.
  double span_ms(size_t begin, size_t end) const;
  size_t size() const { return ids_.size(); }

 private:
  std::vector<GLuint> ids_;
};

// Throws Error when the driver has no GL_TIMESTAMP counter (0 bits).
void require_timer_queries();

struct Stats {
  double median = 0, min = 0, max = 0;
};
Stats stats(std::vector<double> v);

// Host wall clock in milliseconds.
double host_now_ms();

// On a hardware GPU, keeps issuing run(i) until about kWarmClocksMs of GPU work has passed, so that
// the clocks have left their idle state before the timed runs (short memory-bound runs after an
// idle pause otherwise measure the clock ramp). Nothing on a software renderer.
constexpr double kWarmClocksMs = 200;
class Context;
void warm_clocks(const Context& ctx, const std::function<void(unsigned)>& run);

}  // namespace spork::gl
