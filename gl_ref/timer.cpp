#include "gl_ref/timer.h"

#include <algorithm>
#include <chrono>

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

void require_timer_queries() {
  GLint elapsed_bits = 0, timestamp_bits = 0;
  glGetQueryiv(GL_TIME_ELAPSED, GL_QUERY_COUNTER_BITS, &elapsed_bits);
  glGetQueryiv(GL_TIMESTAMP, GL_QUERY_COUNTER_BITS, &timestamp_bits);
  check_gl("glGetQueryiv(GL_QUERY_COUNTER_BITS)");
  if (elapsed_bits == 0 || timestamp_bits == 0)
    throw Error("this GL driver has no GPU timer (GL_QUERY_COUNTER_BITS is 0 for GL_TIME_ELAPSED or GL_TIMESTAMP)");
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

}  // namespace spork::gl
