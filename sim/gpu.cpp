#include "sim/gpu.h"

#include <algorithm>
#include <cstdio>

namespace spork::sim {

namespace {
std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
}  // namespace

const char* to_string(ErrorKind k) {
  switch (k) {
    case ErrorKind::None:
      return "none";
    case ErrorKind::VmFault:
      return "VM fault";
    case ErrorKind::Hang:
      return "hang";
    case ErrorKind::Unimplemented:
      return "unimplemented";
    case ErrorKind::Shader:
      return "shader error";
    case ErrorKind::Cp:
      return "CP error";
    case ErrorKind::Cancelled:
      return "cancelled";
    case ErrorKind::Other:
      return "error";
  }
  return "?";
}

const char* to_string(SubmissionResult::Status s) {
  switch (s) {
    case SubmissionResult::Status::Pending:
      return "pending";
    case SubmissionResult::Status::Completed:
      return "completed";
    case SubmissionResult::Status::Failed:
      return "failed";
    case SubmissionResult::Status::TimedOut:
      return "timed out";
  }
  return "?";
}

Gpu::Gpu(GpuOptions options) : opt_(options) {
  core_ = std::make_unique<ShaderCore>(mem_);
  cp_ = std::make_unique<CommandProcessor>(mem_, *core_);
  thread_ = std::thread([this] { worker(); });
}

Gpu::~Gpu() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
    cancel_ = true;  // a long kernel or WAIT_REG_MEM must not keep the destructor waiting
  }
  cv_work_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Gpu::set_options(const GpuOptions& options) {
  std::lock_guard lk(mu_);
  opt_ = options;
}

GpuOptions Gpu::options() const {
  std::lock_guard lk(mu_);
  return opt_;
}

uint64_t Gpu::submit(std::vector<IbRef> ibs) {
  for (const IbRef& ib : ibs) {
    if (ib.va % 4) throw std::invalid_argument("sim::Gpu::submit: IB address " + hex(ib.va) + " is not 4-byte aligned");
    if (ib.dwords == 0) throw std::invalid_argument("sim::Gpu::submit: IB at " + hex(ib.va) + " has 0 dwords");
  }
  std::lock_guard lk(mu_);
  if (stop_) throw std::logic_error("sim::Gpu::submit: the GPU is shutting down");
  uint64_t seq = ++submitted_;
  SubmissionResult pending;
  pending.seq = seq;
  results_[seq] = pending;
  queue_.emplace_back(seq, std::move(ibs));
  // Forget results nobody asked for in a long time.
  while (!results_.empty() && results_.begin()->first + kKeptResults <= seq) results_.erase(results_.begin());
  cv_work_.notify_one();
  return seq;
}

SubmissionResult Gpu::wait(uint64_t seq, std::chrono::nanoseconds timeout) {
  std::unique_lock lk(mu_);
  if (seq == 0 || seq > submitted_)
    throw std::invalid_argument("sim::Gpu::wait: submission " + std::to_string(seq) + " was never made (last is " +
                                std::to_string(submitted_) + ")");
  auto done = [&] {
    auto it = results_.find(seq);
    return it == results_.end() || it->second.status != SubmissionResult::Status::Pending;
  };
  // wait_for with a huge duration overflows; cap it.
  if (timeout > std::chrono::hours(24 * 365)) timeout = std::chrono::hours(24 * 365);
  cv_done_.wait_for(lk, timeout, done);
  auto it = results_.find(seq);
  if (it == results_.end())
    throw std::invalid_argument("sim::Gpu::wait: the result of submission " + std::to_string(seq) +
                                " is no longer kept (only the last " + std::to_string(kKeptResults) + ")");
  SubmissionResult r = it->second;
  if (r.status == SubmissionResult::Status::Pending) r.status = SubmissionResult::Status::TimedOut;
  return r;
}

SubmissionResult Gpu::wait_idle(std::chrono::nanoseconds timeout) {
  uint64_t last = last_submitted();
  if (last == 0) return SubmissionResult{0, SubmissionResult::Status::Completed, {}, {}, 0, 0};
  return wait(last, timeout);
}

bool Gpu::cancel(uint64_t seq) {
  {
    std::lock_guard lk(mu_);
    if (seq == 0 || seq > submitted_)
      throw std::invalid_argument("sim::Gpu::cancel: submission " + std::to_string(seq) + " was never made (last is " +
                                  std::to_string(submitted_) + ")");
    if (seq == running_) {
      cancel_ = true;
      return true;
    }
    auto q = std::find_if(queue_.begin(), queue_.end(), [&](const auto& j) { return j.first == seq; });
    if (q == queue_.end()) return false;  // finished (or forgotten)
    queue_.erase(q);
    auto it = results_.find(seq);
    if (it != results_.end()) {
      it->second.status = SubmissionResult::Status::Failed;
      it->second.error.kind = ErrorKind::Cancelled;
      it->second.error.message = "cancelled: submission " + std::to_string(seq) + " was cancelled before it ran";
    }
    // completed_ stays the last seq the CP finished; waiters on this one wake up below.
  }
  cv_done_.notify_all();
  return true;
}

uint64_t Gpu::last_submitted() const {
  std::lock_guard lk(mu_);
  return submitted_;
}

uint64_t Gpu::last_completed() const {
  std::lock_guard lk(mu_);
  return completed_;
}

void Gpu::worker() {
  for (;;) {
    std::pair<uint64_t, std::vector<IbRef>> job;
    GpuOptions opt;
    {
      std::unique_lock lk(mu_);
      cv_work_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (stop_) {
        // Destroyed with work queued: nothing more runs; anyone still waiting learns why.
        for (auto& [seq, ibs] : queue_) {
          auto it = results_.find(seq);
          if (it == results_.end()) continue;
          it->second.status = SubmissionResult::Status::Failed;
          it->second.error.kind = ErrorKind::Other;
          it->second.error.message = "submission " + std::to_string(seq) + " never ran: the GPU was destroyed";
          completed_ = seq;
        }
        queue_.clear();
        cv_done_.notify_all();
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      opt = opt_;
      running_ = job.first;
    }
    SubmissionResult r = run(job.first, job.second, opt);
    {
      std::lock_guard lk(mu_);
      running_ = 0;
      if (!stop_) cancel_ = false;  // a cancel() applies to that one submission only
      completed_ = job.first;
      auto it = results_.find(job.first);
      if (it != results_.end()) it->second = std::move(r);
    }
    cv_done_.notify_all();
  }
}

SubmissionResult Gpu::run(uint64_t seq, const std::vector<IbRef>& ibs, const GpuOptions& opt) {
  SubmissionResult r;
  r.seq = seq;
  r.start_timestamp = timestamp();
  CpOptions co;
  co.dispatch.instruction_budget = opt.instruction_budget;
  co.dispatch.collect_stats = opt.collect_stats;
  co.dispatch.threads = opt.shader_threads;
  co.wait_timeout = opt.wait_timeout;
  co.max_ib_depth = opt.max_ib_depth;
  co.max_packets = opt.max_packets;
  co.cancel = &cancel_;
  co.dispatch.cancel = &cancel_;
  SubmissionError& e = r.error;
  auto where = [&] {
    const CpLocation& l = cp_->last_location();
    e.where = l;
    return "submission " + std::to_string(seq) + ", " + l.packet + " at dword " + std::to_string(l.dword_offset) +
           " of the IB at " + hex(l.ib_address) + ": ";
  };
  Memory::Pin pin(mem_);  // BOs freed by the host while we run stay valid until we finish
  try {
    for (const IbRef& ib : ibs) cp_->execute(ib.va, ib.dwords, co, &r.stats);
    r.status = SubmissionResult::Status::Completed;
  } catch (const VmFault& f) {
    e.kind = ErrorKind::VmFault;
    e.message = where() + f.what();
    // The shader core normally puts wave and PC into what(); make sure they are there.
    if (!f.wave.empty() && e.message.find(f.wave) == std::string::npos) e.message += "; " + f.wave;
    if (f.pc && e.message.find(hex(f.pc)) == std::string::npos) e.message += "; pc " + hex(f.pc);
    if (!f.instruction.empty() && e.message.find(f.instruction) == std::string::npos) e.message += ": " + f.instruction;
    e.fault_address = f.address;
    e.fault_access = f.access;
    e.wave = f.wave;
    e.pc = f.pc;
    e.instruction = f.instruction;
  } catch (const CpError& c) {
    e.kind = ErrorKind::Cp;
    e.where = cp_->last_location();
    e.message = "submission " + std::to_string(seq) + ": " + c.what();
  } catch (const HangError& h) {
    e.kind = ErrorKind::Hang;
    e.message = where() + h.what();
  } catch (const CancelledError& c) {
    e.kind = ErrorKind::Cancelled;
    e.message = where() + c.what();
  } catch (const UnimplementedError& u) {
    e.kind = ErrorKind::Unimplemented;
    e.message = where() + u.what();
  } catch (const ShaderError& s) {
    e.kind = ErrorKind::Shader;
    e.message = where() + s.what();
  } catch (const std::exception& x) {
    e.kind = ErrorKind::Other;
    e.message = where() + x.what();
  } catch (...) {
    e.kind = ErrorKind::Other;
    e.message = where() + "unknown exception";
  }
  // Whatever gave up because of the cancel flag (a dispatch, a WAIT_REG_MEM) reports it as such.
  if (e.kind != ErrorKind::None && e.kind != ErrorKind::Cancelled && cancel_.load()) {
    e.kind = ErrorKind::Cancelled;
    e.message = "cancelled: " + e.message;
  }
  if (e.kind == ErrorKind::Cancelled && e.message.rfind("cancelled: ", 0) != 0) e.message = "cancelled: " + e.message;
  if (e.kind != ErrorKind::None) r.status = SubmissionResult::Status::Failed;
  r.end_timestamp = timestamp();
  return r;
}

}  // namespace spork::sim
