// Memory bandwidth (read, write, copy kernels of kernels/glsl/membw.comp) and dispatch overhead.
#include <algorithm>
#include <cstring>

#include "vulkan_ref/internal.h"

namespace spork::vk {

const char* membw_op_name(MembwOp op) {
  switch (op) {
    case MembwOp::Read:
      return "read";
    case MembwOp::Write:
      return "write";
    case MembwOp::Copy:
      return "copy";
  }
  return "?";
}

namespace {
constexpr uint32_t kLocal = 256;
enum Mode : uint32_t { kRead = 0, kWrite = 1, kCopy = 2 };
uint32_t pattern(uint64_t i, uint32_t seed) { return uint32_t(i) ^ seed; }
}  // namespace

MembwResult Context::membw(const MembwRequest& req) {
  Impl& c = *impl_;
  MembwResult res;
  const uint64_t bytes = req.bytes;
  if (bytes < 16 || bytes % 16)
    throw Error("membw size must be a positive multiple of 16 bytes, not " + std::to_string(bytes));
  if (bytes > c.info.max_storage_buffer_range)
    throw Error("membw size " + format_bytes(bytes) + " exceeds maxStorageBufferRange (" +
                format_bytes(c.info.max_storage_buffer_range) + ") of " + c.info.name);
  if (bytes / 16 > 0xFFFFFFFFull) throw Error("membw size " + format_bytes(bytes) + " exceeds 64 GiB");
  const uint32_t type = c.resolve_memory_type(req.placement, req.memory_type);
  const uint64_t off = req.op == MembwOp::Read ? 0 : req.dst_offset;
  if (off % std::max<uint64_t>(1, c.info.min_storage_offset_alignment))
    throw Error("membw dst_offset " + std::to_string(off) + " is not a multiple of minStorageBufferOffsetAlignment (" +
                std::to_string(c.info.min_storage_offset_alignment) + ")");
  res.memory_type = type;
  res.memory = c.describe(type);
  const uint32_t count = uint32_t(bytes / 16);
  const uint32_t max_groups =
      c.info.type == "CPU" ? 64 : std::min<uint32_t>(65535, c.limits.maxComputeWorkGroupCount[0]);
  // At least four uvec4s per invocation, so the kernel's 4-way unrolled loop runs.
  const uint32_t groups =
      std::max<uint32_t>(1, std::min<uint64_t>((count + 4 * kLocal - 1) / (4 * kLocal), max_groups));
  const uint64_t heap = c.mem.memoryHeaps[c.mem.memoryTypes[type].heapIndex].size;
  const uint64_t per_set = req.op == MembwOp::Read ? bytes + groups * 4ull : 2 * bytes;
  unsigned sets = req.sets;
  if (!sets) {
    sets = unsigned(std::clamp<uint64_t>((uint64_t(256) << 20) / bytes, 1, c.info.type == "CPU" ? 2 : 8));
    while (sets > 1 && sets * per_set > heap / 2) --sets;  // leave room for others in the heap
  }
  const unsigned runs = req.warmup + std::max(1u, req.repeat);
  sets = std::min(sets, runs);  // every set runs at least once, so every set is checked

  // src of each set is written by the write kernel first (pattern i ^ seed), so no host upload.
  std::vector<std::unique_ptr<Buffer>> src, dst;
  for (unsigned s = 0; s < sets; ++s) {
    if (req.op != MembwOp::Write) src.push_back(c.create_buffer(bytes, type));
    dst.push_back(c.create_buffer(req.op == MembwOp::Read ? groups * 4ull : bytes + off, type));
  }
  const uint32_t mode = req.op == MembwOp::Read ? kRead : req.op == MembwOp::Write ? kWrite : kCopy;
  Pipeline pipe = c.make_pipeline("membw", 2, 8, {mode, kLocal});
  Defer free_pipe{[&] { c.destroy(pipe); }};
  Pipeline init = c.make_pipeline("membw", 2, 8, {kWrite, kLocal});
  Defer free_init{[&] { c.destroy(init); }};
  VkDescriptorPool dpool = c.make_descriptor_pool(2 * sets, 2);
  Defer free_pool{[&] { c.f.vkDestroyDescriptorPool(c.device, dpool, nullptr); }};
  std::vector<VkDescriptorSet> run_sets, init_sets;
  for (unsigned s = 0; s < sets; ++s) {
    const Buffer* in = req.op == MembwOp::Write ? dst[s].get() : src[s].get();  // write mode never reads binding 0
    run_sets.push_back(c.make_set(dpool, pipe, {in, dst[s].get()}, {req.op == MembwOp::Write ? off : 0, off}));
    if (req.op != MembwOp::Write) init_sets.push_back(c.make_set(dpool, init, {src[s].get(), src[s].get()}));
  }
  VkQueryPool qpool = c.has_timestamps() ? c.make_timestamps(2 * runs) : VK_NULL_HANDLE;
  Defer free_q{[&] {
    if (qpool) c.f.vkDestroyQueryPool(c.device, qpool, nullptr);
  }};
  auto seed_of = [](unsigned s) { return 0x5EED0000u + 0x1001u * s; };

  VkCommandBuffer cb = c.begin();
  if (qpool) c.f.vkCmdResetQueryPool(cb, qpool, 0, 2 * runs);
  for (unsigned s = 0; s < sets; ++s)  // poison outputs
    c.f.vkCmdFillBuffer(cb, Impl::vkbuf(*dst[s]), 0, VK_WHOLE_SIZE, 0xDEADBEEFu);
  if (req.op != MembwOp::Write) {
    c.barrier(cb);
    c.f.vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, init.pipeline);
    for (unsigned s = 0; s < sets; ++s) {
      const uint32_t push[2] = {count, seed_of(s)};
      c.f.vkCmdPushConstants(cb, init.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 8, push);
      c.f.vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, init.layout, 0, 1, &init_sets[s], 0, nullptr);
      c.f.vkCmdDispatch(cb, groups, 1, 1);
    }
  }
  c.f.vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe.pipeline);
  for (unsigned r = 0; r < runs; ++r) {
    const unsigned s = r % sets;
    const uint32_t push[2] = {count, seed_of(s)};
    c.barrier(cb);
    if (qpool) c.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qpool, 2 * r);
    c.f.vkCmdPushConstants(cb, pipe.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 8, push);
    c.f.vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe.layout, 0, 1, &run_sets[s], 0, nullptr);
    c.f.vkCmdDispatch(cb, groups, 1, 1);
    if (qpool) c.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qpool, 2 * r + 1);
  }
  c.barrier(cb);
  const double host_ms = c.submit_wait(cb, std::string("membw ") + membw_op_name(req.op) + " " + format_bytes(bytes));
  res.timing.host_ms = host_ms / runs;
  if (qpool) {
    auto all = c.read_intervals_ms(qpool, runs);
    res.timing.gpu_ms.assign(all.begin() + req.warmup, all.end());
  } else {
    res.timing.gpu_ms.assign(1, host_ms / runs);
    res.note = "no GPU timestamps on this queue: host time";
  }
  summarise(res.timing);
  res.bytes_moved = req.op == MembwOp::Copy ? 2 * bytes : bytes;
  res.gbps = res.timing.median_ms > 0 ? double(res.bytes_moved) / (res.timing.median_ms * 1e6) : 0;

  res.passed = true;
  if (req.check) {
    std::string bad;
    unsigned bad_set = 0;
    for (unsigned s = 0; s < sets && bad.empty(); ++s) {
      bad_set = s;
      const uint32_t seed = seed_of(s);
      if (req.op == MembwOp::Read) {
        std::vector<uint32_t> part(groups);
        download(*dst[s], part.data(), groups * 4ull);
        if (req.test_corrupt && s == 0) part[0] += 1;
        uint32_t got = 0, want = 0;
        for (uint32_t p : part) got += p;
        for (uint64_t i = 0; i < bytes / 4; ++i) want += pattern(i, seed);
        if (got != want) bad = "read sum " + std::to_string(got) + " != expected " + std::to_string(want);
      } else {
        std::vector<uint32_t> all((bytes + off) / 4);
        download(*dst[s], all.data(), bytes + off);
        if (req.test_corrupt && s == 0) all[(off + bytes / 2) / 4] ^= 1;
        const uint32_t* out = all.data() + off / 4;
        for (uint64_t i = 0; i < bytes / 4; ++i)
          if (out[i] != pattern(i, seed)) {
            bad = std::string(membw_op_name(req.op)) + " word " + std::to_string(i) + " = " + std::to_string(out[i]) +
                  ", expected " + std::to_string(pattern(i, seed));
            break;
          }
      }
    }
    if (!bad.empty()) {
      res.passed = false;
      res.note += (res.note.empty() ? "" : "; ") + bad + " (buffer set " + std::to_string(bad_set) + ")";
    }
  }
  res.note += std::string(res.note.empty() ? "" : "; ") + std::to_string(sets) + " buffer set(s) rotated";
  if (off) res.note += "; dst bound at offset " + std::to_string(off);
  return res;
}

DispatchResult Context::dispatch(unsigned count) {
  Impl& c = *impl_;
  if (count == 0) throw Error("dispatch count must be positive");
  DispatchResult res;
  res.count = count;
  // The write kernel with count 0: one workgroup that touches no memory.
  auto buf = c.create_buffer(256, c.resolve_memory_type(Placement::DeviceLocal, std::nullopt));
  Pipeline pipe = c.make_pipeline("membw", 2, 8, {kWrite, 64});
  Defer free_pipe{[&] { c.destroy(pipe); }};
  VkDescriptorPool dpool = c.make_descriptor_pool(1, 2);
  Defer free_pool{[&] { c.f.vkDestroyDescriptorPool(c.device, dpool, nullptr); }};
  VkDescriptorSet set = c.make_set(dpool, pipe, {buf.get(), buf.get()});
  VkQueryPool qpool = c.has_timestamps() ? c.make_timestamps(2 * count) : VK_NULL_HANDLE;
  Defer free_q{[&] {
    if (qpool) c.f.vkDestroyQueryPool(c.device, qpool, nullptr);
  }};
  const uint32_t push[2] = {0, 0};
  auto record_dispatch = [&](VkCommandBuffer cb) {
    c.f.vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe.pipeline);
    c.f.vkCmdPushConstants(cb, pipe.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 8, push);
    c.f.vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe.layout, 0, 1, &set, 0, nullptr);
  };

  // 1. N dependent dispatches (barrier between) in one command buffer.
  {
    VkCommandBuffer cb = c.begin();
    if (qpool) c.f.vkCmdResetQueryPool(cb, qpool, 0, 2 * count);
    record_dispatch(cb);
    c.barrier(cb);
    if (qpool) c.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qpool, 0);
    for (unsigned i = 0; i < count; ++i) {
      c.f.vkCmdDispatch(cb, 1, 1, 1);
      c.barrier(cb);
    }
    if (qpool) c.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qpool, 1);
    double host = c.submit_wait(cb, "dispatch (batched)");
    res.batched_host_us = host * 1000 / count;
    res.batched_gpu_us = qpool ? c.read_intervals_ms(qpool, 1)[0] * 1000 / count : res.batched_host_us;
  }
  // 2. N command buffers, one dispatch and one vkQueueSubmit each; the fence on the last.
  {
    VkCommandBuffer reset = c.begin();
    if (qpool) c.f.vkCmdResetQueryPool(reset, qpool, 0, 2 * count);
    c.submit_wait(reset, "query reset");
    std::vector<VkCommandBuffer> cbs(count, VK_NULL_HANDLE);
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = c.cmd_pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = count;
    detail::check(c.f.vkAllocateCommandBuffers(c.device, &ai, cbs.data()), "vkAllocateCommandBuffers");
    Defer free_cbs{[&] { c.f.vkFreeCommandBuffers(c.device, c.cmd_pool, count, cbs.data()); }};
    for (unsigned i = 0; i < count; ++i) {
      VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
      detail::check(c.f.vkBeginCommandBuffer(cbs[i], &bi), "vkBeginCommandBuffer");
      record_dispatch(cbs[i]);
      if (qpool) c.f.vkCmdWriteTimestamp(cbs[i], VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, qpool, 2 * i);
      c.f.vkCmdDispatch(cbs[i], 1, 1, 1);
      if (qpool) c.f.vkCmdWriteTimestamp(cbs[i], VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qpool, 2 * i + 1);
      detail::check(c.f.vkEndCommandBuffer(cbs[i]), "vkEndCommandBuffer");
    }
    auto t0 = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < count; ++i) {
      VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
      si.commandBufferCount = 1;
      si.pCommandBuffers = &cbs[i];
      detail::check(c.f.vkQueueSubmit(c.queue, 1, &si, i + 1 == count ? c.fence : VK_NULL_HANDLE), "vkQueueSubmit");
    }
    c.wait_fence("dispatch (one submit each)");
    double host = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    res.submit_host_us = host * 1000 / count;
    if (qpool) {
      Timing t;
      t.gpu_ms = c.read_intervals_ms(qpool, count);
      summarise(t);
      res.submit_gpu_us = t.median_ms * 1000;
    } else {
      res.submit_gpu_us = res.submit_host_us;
    }
  }
  return res;
}

}  // namespace spork::vk
