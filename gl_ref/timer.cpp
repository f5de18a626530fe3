#include "gl_ref/timer.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "gl_ref/context.h"

namespace spork::gl {

TimerQueries::TimerQueries(size_t count) : ids_(count) {
  if (count) glGenQueries(GLsizei(count), ids_.data());
  check_gl("glGenQueries");
}

TimerQueries::~TimerQueries() {
  if (!ids_.empty()) glDeleteQueries(GLsizei(ids_.size()), ids_.data());
}

uint64_t TimerQueries::result_ns(size_t i) const {
  GLuint64 v = 0;
  glGetQueryObjectui64v(ids_[i], GL_QUERY_RESULT, &v);
  check_gl("glGetQueryObjectui64v(GL_QUERY_RESULT)");
  return v;
}

double TimerQueries::span_ms(size_t begin, size_t end) const {
  uint64_t a = result_ns(begin), b = result_ns(end);
  if (b < a)
    throw Error("GL_TIMESTAMP queries went backwards (" + std::to_string(a) + " ns, then " + std::to_string(b) +
                " ns)");
  return double(b - a) * 1e-6;
}

void require_timer_queries() {
  GLint timestamp_bits = 0;
  glGetQueryiv(GL_TIMESTAMP, GL_QUERY_COUNTER_BITS, &timestamp_bits);
  check_gl("glGetQueryiv(GL_TIMESTAMP, GL_QUERY_COUNTER_BITS)");
  if (timestamp_bits == 0) throw Error("this GL driver has no GPU timer (GL_QUERY_COUNTER_BITS of GL_TIMESTAMP is 0)");
}

Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v.front();
  s.max = v.back();
  return s;
}

double host_now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

void warm_clocks(const Context& ctx, const std::function<void(unsigned)>& run) {
  if (ctx.info().software) return;
  const double t0 = host_now_ms();
  unsigned i = 0, batch = 1;
  while (host_now_ms() - t0 < kWarmClocksMs && i < 100000) {
    for (unsigned b = 0; b < batch; ++b) run(i++);
    glFinish();
    batch = std::min(batch * 2, 64u);
  }
}

}  // namespace spork::gl
