// Memory instructions of the shader core: DS (LDS), FLAT / GLOBAL / SCRATCH loads,
// stores and atomics, and the cache-control instructions (no-ops in the simulator).
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "sim/shader_impl.h"

namespace spork::sim::detail {
namespace {

using isa::kNull;
using isa::kVgpr0;

// XInst.aux for memory ops: access kind in the low bits, flags above.
enum MemKind : uint8_t { M_LOAD = 0, M_STORE = 1, M_ATOMIC = 2 };
// XInst.opsel (reused) for memory ops: sub-dword load flavour.
enum LoadFlavour : uint8_t { L_PLAIN = 0, L_SIGNED = 1, L_D16_LO = 2, L_D16_HI = 4 };
enum AtomOp : uint8_t {
  A_SWAP,
  A_CMPSWAP,
  A_ADD,
  A_SUB,
  A_RSUB,
  A_MIN_I,
  A_MIN_U,
  A_MAX_I,
  A_MAX_U,
  A_AND,
  A_OR,
  A_XOR,
  A_INC,
  A_DEC,
  A_ADD_F32,
  A_MIN_F32,
  A_MAX_F32,
  A_ADD_F64,
  A_MIN_F64,
  A_MAX_F64,
  A_CSUB,
  A_CMPSWAP_F32,
  A_MSKOR
};

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

template <class T>
T atom_compute(AtomOp op, T old, T data, T cmp, bool& store) {
  store = true;
  using S = std::make_signed_t<T>;
  switch (op) {
    case A_SWAP:
      return data;
    case A_CMPSWAP:
    case A_CMPSWAP_F32:
      store = old == cmp;
      return data;
    case A_ADD:
      return old + data;
    case A_SUB:
      return old - data;
    case A_RSUB:
      return data - old;
    case A_CSUB:
      return old > data ? old - data : 0;
    case A_MIN_I:
      return static_cast<S>(data) < static_cast<S>(old) ? data : old;
    case A_MIN_U:
      return data < old ? data : old;
    case A_MAX_I:
      return static_cast<S>(data) > static_cast<S>(old) ? data : old;
    case A_MAX_U:
      return data > old ? data : old;
    case A_AND:
      return old & data;
    case A_OR:
      return old | data;
    case A_XOR:
      return old ^ data;
    case A_MSKOR:
      return (old & ~cmp) | data;
    case A_INC:
      return old >= data ? 0 : old + 1;
    case A_DEC:
      return (old == 0 || old > data) ? data : old - 1;
    default:
      break;
  }
  if constexpr (sizeof(T) == 4) {
    const float o = std::bit_cast<float>(old), d = std::bit_cast<float>(data);
    switch (op) {
      case A_ADD_F32:
        return std::bit_cast<T>(o + d);
      case A_MIN_F32:
        return std::isnan(o) ? data : std::isnan(d) ? old : (d < o ? data : old);
      case A_MAX_F32:
        return std::isnan(o) ? data : std::isnan(d) ? old : (d > o ? data : old);
      default:
        break;
    }
  } else {
    const double o = std::bit_cast<double>(old), d = std::bit_cast<double>(data);
    switch (op) {
      case A_ADD_F64:
        return std::bit_cast<T>(o + d);
      case A_MIN_F64:
        return std::isnan(o) ? data : std::isnan(d) ? old : (d < o ? data : old);
      case A_MAX_F64:
        return std::isnan(o) ? data : std::isnan(d) ? old : (d > o ? data : old);
      default:
        break;
    }
  }
  store = false;
  return old;
}
// Atomic read-modify-write on host memory shared with other shader threads.
template <class T>
T atomic_rmw_shared(uint8_t* p, AtomOp op, T data, T cmp) {
  if (reinterpret_cast<uintptr_t>(p) % sizeof(T) != 0) {  // misaligned: not atomic on hardware either
    T old;
    std::memcpy(&old, p, sizeof(T));
    bool st;
    T n = atom_compute<T>(op, old, data, cmp, st);
    if (st) std::memcpy(p, &n, sizeof(T));
    return old;
  }
  std::atomic_ref<T> a(*reinterpret_cast<T*>(p));
  T old = a.load(std::memory_order_relaxed);
  for (;;) {
    bool st;
    T n = atom_compute<T>(op, old, data, cmp, st);
    if (!st) return old;
    if (a.compare_exchange_weak(old, n, std::memory_order_acq_rel, std::memory_order_relaxed)) return old;
  }
}
template <class T>
T atomic_rmw_local(uint8_t* p, AtomOp op, T data, T cmp) {
  T old;
  std::memcpy(&old, p, sizeof(T));
  bool st;
  T n = atom_compute<T>(op, old, data, cmp, st);
  if (st) std::memcpy(p, &n, sizeof(T));
  return old;
}

// ---- address spaces ---------------------------------------------------------------------
inline uint8_t* lds_ptr(Wave& w, const XInst& x, uint64_t a, unsigned bytes) {
  if (a + bytes > w.ctx->lds_size)
    throw_shader_error(w, x,
                       "LDS access at " + hex(a) + " (" + std::to_string(bytes) +
                           " bytes) is outside the workgroup's " + std::to_string(w.ctx->lds_size) +
                           "-byte LDS allocation");
  return w.ctx->lds + a;
}
inline uint8_t* global_ptr(Wave& w, uint64_t va, unsigned bytes, Access acc) {
  const Memory::Range& r = tlb_lookup(w, *w.ctx->mem, va, bytes,
                                      acc == Access::Read    ? 0
                                      : acc == Access::Write ? 1
                                                             : 2);
  if (acc == Access::Read)
    w.ctx->stats->bytes_read[static_cast<int>(r.domain)] += bytes;
  else
    w.ctx->stats->bytes_written[static_cast<int>(r.domain)] += bytes;
  return r.ptr(va);
}
// Private (scratch) memory: per-lane offsets, swizzled in dwords across the wave's 32 lanes.
inline uint8_t* scratch_byte(Wave& w, const XInst& x, uint64_t off, unsigned lane, Access acc, unsigned& run) {
  if (!w.ctx->scratch_en)
    throw_shader_error(w, x,
                       "scratch access while the dispatch has no scratch (COMPUTE_PGM_RSRC2.SCRATCH_EN = 0 or "
                       "COMPUTE_TMPRING_SIZE.WAVESIZE = 0)");
  if (off >= w.ctx->scratch_lane_bytes)
    throw_shader_error(w, x,
                       "scratch access at private offset " + hex(off) + " in lane " + std::to_string(lane) +
                           " is beyond the " + std::to_string(w.ctx->scratch_lane_bytes) + " bytes per lane");
  const uint64_t va = w.scratch_base + (off / 4) * 4 * kLanes + lane * 4 + off % 4;
  run = 4 - off % 4;
  return global_ptr(w, va, run, acc == Access::Exec ? Access::Write : acc);
}
inline void scratch_read(Wave& w, const XInst& x, uint64_t off, unsigned lane, void* dst, unsigned bytes) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  while (bytes) {
    unsigned run;
    uint8_t* p = scratch_byte(w, x, off, lane, Access::Read, run);
    const unsigned n = run < bytes ? run : bytes;
    std::memcpy(d, p, n);
    d += n, off += n, bytes -= n;
  }
}
inline void scratch_write(Wave& w, const XInst& x, uint64_t off, unsigned lane, const void* src, unsigned bytes) {
  const uint8_t* s = static_cast<const uint8_t*>(src);
  while (bytes) {
    unsigned run;
    uint8_t* p = scratch_byte(w, x, off, lane, Access::Write, run);
    const unsigned n = run < bytes ? run : bytes;
    std::memcpy(p, s, n);
    s += n, off += n, bytes -= n;
  }
}

// Where a FLAT/GLOBAL/SCRATCH lane access goes.
enum class Space { Global, Lds, Scratch };
struct LaneAddr {
  Space space;
  uint64_t a;  // VA, LDS offset or private offset
};
inline LaneAddr lane_address(Wave& w, const XInst& x, unsigned l) {
  const isa::Enc e = x.d->enc;
  if (e == isa::Enc::SCRATCH) {
    uint64_t off = static_cast<int64_t>(x.imm);
    if (x.sve) off += w.v[x.addr - kVgpr0][l];
    if (x.saddr != kNull) off += w.s[x.saddr];
    return {Space::Scratch, off & 0xFFFFFFFFull};
  }
  uint64_t va;
  if (e == isa::Enc::GLOBAL && x.saddr != kNull) {
    va = (w.s[x.saddr] | static_cast<uint64_t>(w.s[x.saddr + 1]) << 32) + w.v[x.addr - kVgpr0][l];
  } else {
    const unsigned r = x.addr - kVgpr0;
    va = w.v[r][l] | static_cast<uint64_t>(w.v[(r + 1) & 255][l]) << 32;
  }
  va += static_cast<int64_t>(x.imm);
  if (e == isa::Enc::FLAT) {
    if (va - kSharedAperture < kApertureSize) return {Space::Lds, va - kSharedAperture};
    if (va - kPrivateAperture < kApertureSize) return {Space::Scratch, va - kPrivateAperture};
  }
  return {Space::Global, va};
}

// Loads `bytes` bytes for one lane into `out` (little-endian, zero padded).
inline void lane_read(Wave& w, const XInst& x, const LaneAddr& la, unsigned l, void* out, unsigned bytes) {
  switch (la.space) {
    case Space::Global:
      std::memcpy(out, global_ptr(w, la.a, bytes, Access::Read), bytes);
      break;
    case Space::Lds:
      std::memcpy(out, lds_ptr(w, x, la.a, bytes), bytes);
      w.ctx->stats->lds_bytes += bytes;
      break;
    case Space::Scratch:
      scratch_read(w, x, la.a, l, out, bytes);
      break;
  }
}
inline void lane_write(Wave& w, const XInst& x, const LaneAddr& la, unsigned l, const void* in, unsigned bytes) {
  switch (la.space) {
    case Space::Global:
      std::memcpy(global_ptr(w, la.a, bytes, Access::Write), in, bytes);
      break;
    case Space::Lds:
      std::memcpy(lds_ptr(w, x, la.a, bytes), in, bytes);
      w.ctx->stats->lds_bytes += bytes;
      break;
    case Space::Scratch:
      scratch_write(w, x, la.a, l, in, bytes);
      break;
  }
}

// Writes a loaded value (`bytes` bytes in `v`) into the destination VGPR(s) of lane l.
inline void load_result(Wave& w, const XInst& x, unsigned l, const uint32_t* v, unsigned bytes) {
  const unsigned d = x.dst - kVgpr0;
  if (bytes >= 4) {
    for (unsigned i = 0; i < bytes / 4; ++i) w.v[(d + i) & 255][l] = v[i];
    return;
  }
  uint32_t val = v[0];
  if (x.opsel & L_SIGNED)
    val =
        bytes == 1 ? static_cast<uint32_t>(static_cast<int8_t>(val)) : static_cast<uint32_t>(static_cast<int16_t>(val));
  if (x.opsel & L_D16_LO)
    w.v[d][l] = (w.v[d][l] & 0xFFFF0000u) | (val & 0xFFFFu);
  else if (x.opsel & L_D16_HI)
    w.v[d][l] = (w.v[d][l] & 0xFFFFu) | (val << 16);
  else
    w.v[d][l] = val;
}
inline void store_data(const Wave& w, const XInst& x, unsigned l, uint32_t* v, unsigned bytes, uint16_t reg) {
  const unsigned d = reg - kVgpr0;
  if (bytes >= 4) {
    for (unsigned i = 0; i < bytes / 4; ++i) v[i] = w.v[(d + i) & 255][l];
  } else {
    v[0] = (x.opsel & L_D16_HI) ? w.v[d][l] >> 16 : w.v[d][l];
  }
}

// ---- FLAT / GLOBAL / SCRATCH -------------------------------------------------------------
void h_vmem_load(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const unsigned bytes = x.size;
  // Fast path: GLOBAL dword loads, all active lanes inside the cached mapping.
  if (x.d->enc == isa::Enc::GLOBAL && bytes >= 4 && e) {
    uint64_t va[kLanes];
    const uint32_t* lo = w.v[x.addr - kVgpr0];
    if (x.saddr != kNull) {
      const uint64_t base =
          (w.s[x.saddr] | static_cast<uint64_t>(w.s[x.saddr + 1]) << 32) + static_cast<int64_t>(x.imm);
      for (unsigned l = 0; l < kLanes; ++l) va[l] = base + lo[l];
    } else {
      const uint32_t* hi = w.v[(x.addr - kVgpr0 + 1) & 255];
      for (unsigned l = 0; l < kLanes; ++l)
        va[l] = (lo[l] | static_cast<uint64_t>(hi[l]) << 32) + static_cast<int64_t>(x.imm);
    }
    uint64_t mn = ~0ull, mx = 0;
    for (unsigned l = 0; l < kLanes; ++l)
      if (e >> l & 1) mn = va[l] < mn ? va[l] : mn, mx = va[l] > mx ? va[l] : mx;
    const Memory::Range* hit = nullptr;
    for (unsigned i = 0; i < Wave::kTlbWays && !hit; ++i)
      if (w.tlb[0][i].contains(mn, bytes) && w.tlb[0][i].contains(mx, bytes)) hit = &w.tlb[0][i];
    if (!hit) {
      try {
        Memory::Range& slot = w.tlb[0][w.tlb_next[0]++ % Wave::kTlbWays];
        slot = w.ctx->mem->lookup(mn, mx - mn + bytes, Access::Read);
        hit = &slot;
      } catch (const VmFault&) {
        // not one mapping: the per-lane path below finds the faulting lane
      }
    }
    if (hit) {
      const Memory::Range& r = *hit;
      const unsigned d = x.dst - kVgpr0, dw = bytes / 4;
      for (unsigned l = 0; l < kLanes; ++l) {
        if (!(e >> l & 1)) continue;
        uint32_t v[4];
        std::memcpy(v, r.ptr(va[l]), bytes);
        for (unsigned i = 0; i < dw; ++i) w.v[(d + i) & 255][l] = v[i];
      }
      w.ctx->stats->bytes_read[static_cast<int>(r.domain)] += static_cast<uint64_t>(bytes) * popcount32(e);
      return;
    }
  }
  for (unsigned l = 0; l < kLanes; ++l) {
    if (!(e >> l & 1)) continue;
    uint32_t v[4] = {0, 0, 0, 0};
    lane_read(w, x, lane_address(w, x, l), l, v, bytes);
    load_result(w, x, l, v, bytes);
  }
}
void h_vmem_store(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const unsigned bytes = x.size;
  for (unsigned l = 0; l < kLanes; ++l) {
    if (!(e >> l & 1)) continue;
    uint32_t v[4];
    store_data(w, x, l, v, bytes, x.data0);
    lane_write(w, x, lane_address(w, x, l), l, v, bytes);
  }
}
void h_vmem_atomic(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const bool wide = x.size == 8;
  const AtomOp op = static_cast<AtomOp>(x.aux >> 2);
  const bool rtn = x.glc;
  const unsigned d = x.data0 - kVgpr0;
  for (unsigned l = 0; l < kLanes; ++l) {
    if (!(e >> l & 1)) continue;
    const LaneAddr la = lane_address(w, x, l);
    uint64_t data = w.v[d][l], cmp = 0, old;
    if (wide) data |= static_cast<uint64_t>(w.v[(d + 1) & 255][l]) << 32;
    if (op == A_CMPSWAP || op == A_CMPSWAP_F32) {
      const unsigned c = d + (wide ? 2 : 1);
      cmp = w.v[c & 255][l];
      if (wide) cmp |= static_cast<uint64_t>(w.v[(c + 1) & 255][l]) << 32;
    }
    if (la.space == Space::Global) {
      uint8_t* p = global_ptr(w, la.a, x.size, Access::Exec);  // Exec here means read-modify-write
      w.ctx->stats->bytes_read[static_cast<int>(tlb_lookup(w, *w.ctx->mem, la.a, x.size, 2).domain)] += x.size;
      old = wide ? atomic_rmw_shared<uint64_t>(p, op, data, cmp)
                 : atomic_rmw_shared<uint32_t>(p, op, uint32_t(data), uint32_t(cmp));
    } else if (la.space == Space::Lds) {
      uint8_t* p = lds_ptr(w, x, la.a, x.size);
      w.ctx->stats->lds_bytes += 2 * x.size;
      old = wide ? atomic_rmw_local<uint64_t>(p, op, data, cmp)
                 : atomic_rmw_local<uint32_t>(p, op, uint32_t(data), uint32_t(cmp));
    } else {
      uint32_t buf[2] = {0, 0};
      scratch_read(w, x, la.a, l, buf, x.size);
      old = wide ? atomic_rmw_local<uint64_t>(reinterpret_cast<uint8_t*>(buf), op, data, cmp)
                 : atomic_rmw_local<uint32_t>(reinterpret_cast<uint8_t*>(buf), op, uint32_t(data), uint32_t(cmp));
      scratch_write(w, x, la.a, l, buf, x.size);
    }
    if (rtn) {
      const unsigned r = x.dst - kVgpr0;
      w.v[r][l] = static_cast<uint32_t>(old);
      if (wide) w.v[(r + 1) & 255][l] = static_cast<uint32_t>(old >> 32);
    }
  }
}

// ---- DS ------------------------------------------------------------------------------------
inline uint32_t ds_offset(const XInst& x) { return x.off0 | static_cast<uint32_t>(x.off1) << 8; }

void h_ds_load(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const unsigned bytes = x.size;
  const uint32_t* a = w.v[x.addr - kVgpr0];
  const uint32_t off = ds_offset(x);
  for (unsigned l = 0; l < kLanes; ++l) {
    if (!(e >> l & 1)) continue;
    uint32_t v[4] = {0, 0, 0, 0};
    std::memcpy(v, lds_ptr(w, x, static_cast<uint64_t>(a[l]) + off, bytes), bytes);
    load_result(w, x, l, v, bytes);
  }
  w.ctx->stats->lds_bytes += static_cast<uint64_t>(bytes) * popcount32(e);
}
// ds_load_2addr_b32/b64 (+stride64): two elements at addr + offset0*stride and addr + offset1*stride.
void h_ds_load2(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const unsigned el = x.size;                     // 4 or 8
  const uint32_t stride = el * (x.aux ? 64 : 1);  // aux: stride64
  const uint32_t o0 = x.off0 * stride, o1 = x.off1 * stride;
  const uint32_t* a = w.v[x.addr - kVgpr0];
  const unsigned d = x.dst - kVgpr0, dw = el / 4;
  const uint32_t size = w.ctx->lds_size;
  const uint8_t* lds = w.ctx->lds;
  // Bounds first (over active lanes), then a tight copy loop.
  uint32_t amax = 0;
  for (unsigned l = 0; l < kLanes; ++l)
    if (e >> l & 1) amax = a[l] > amax ? a[l] : amax;
  if (static_cast<uint64_t>(amax) + (o0 > o1 ? o0 : o1) + el > size) {
    for (unsigned l = 0; l < kLanes; ++l)
      if (e >> l & 1)
        lds_ptr(w, x, static_cast<uint64_t>(a[l]) + o0, el), lds_ptr(w, x, static_cast<uint64_t>(a[l]) + o1, el);
  }
  if (dw == 1 && e == 0xFFFFFFFFu) {
    uint32_t base[kLanes];
    std::memcpy(base, a, sizeof base);  // the destination may be the address register
    uint32_t* d0 = w.v[d];
    uint32_t* d1 = w.v[(d + 1) & 255];
    for (unsigned l = 0; l < kLanes; ++l) std::memcpy(&d0[l], lds + base[l] + o0, 4);
    for (unsigned l = 0; l < kLanes; ++l) std::memcpy(&d1[l], lds + base[l] + o1, 4);
  } else if (dw == 1) {
    uint32_t* d0 = w.v[d];
    uint32_t* d1 = w.v[(d + 1) & 255];
    for (unsigned l = 0; l < kLanes; ++l) {
      if (!(e >> l & 1)) continue;
      const uint32_t base = a[l];  // the destination may be the address register
      std::memcpy(&d0[l], lds + base + o0, 4);
      std::memcpy(&d1[l], lds + base + o1, 4);
    }
  } else {
    for (unsigned l = 0; l < kLanes; ++l) {
      if (!(e >> l & 1)) continue;
      uint32_t v[4];
      std::memcpy(v, lds + a[l] + o0, 8);
      std::memcpy(v + 2, lds + a[l] + o1, 8);
      for (unsigned i = 0; i < 4; ++i) w.v[(d + i) & 255][l] = v[i];
    }
  }
  w.ctx->stats->lds_bytes += 2ull * el * popcount32(e);
}
void h_ds_store(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const unsigned bytes = x.size;
  const uint32_t* a = w.v[x.addr - kVgpr0];
  const uint32_t off = ds_offset(x);
  for (unsigned l = 0; l < kLanes; ++l) {
    if (!(e >> l & 1)) continue;
    uint32_t v[4];
    store_data(w, x, l, v, bytes, x.data0);
    std::memcpy(lds_ptr(w, x, static_cast<uint64_t>(a[l]) + off, bytes), v, bytes);
  }
  w.ctx->stats->lds_bytes += static_cast<uint64_t>(bytes) * popcount32(e);
}
void h_ds_store2(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const unsigned el = x.size;
  const uint32_t stride = el * (x.aux ? 64 : 1);
  const uint32_t* a = w.v[x.addr - kVgpr0];
  for (unsigned l = 0; l < kLanes; ++l) {
    if (!(e >> l & 1)) continue;
    uint32_t v[2];
    store_data(w, x, l, v, el, x.data0);
    std::memcpy(lds_ptr(w, x, static_cast<uint64_t>(a[l]) + x.off0 * stride, el), v, el);
    store_data(w, x, l, v, el, x.data1);
    std::memcpy(lds_ptr(w, x, static_cast<uint64_t>(a[l]) + x.off1 * stride, el), v, el);
  }
  w.ctx->stats->lds_bytes += 2ull * el * popcount32(e);
}
void h_ds_atomic(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const bool wide = x.size == 8;
  const AtomOp op = static_cast<AtomOp>(x.aux >> 2);
  const bool rtn = x.glc;
  const uint32_t* a = w.v[x.addr - kVgpr0];
  const uint32_t off = ds_offset(x);
  const unsigned d0 = x.data0 - kVgpr0, d1 = x.data1 - kVgpr0;
  for (unsigned l = 0; l < kLanes; ++l) {
    if (!(e >> l & 1)) continue;
    uint64_t data = w.v[d0][l], cmp = 0;
    if (wide) data |= static_cast<uint64_t>(w.v[(d0 + 1) & 255][l]) << 32;
    if (op == A_CMPSWAP || op == A_CMPSWAP_F32 || op == A_MSKOR) {
      // cmpstore: DATA = new value, DATA2 = compare; mskor: DATA = mask, DATA2 = or-value.
      uint64_t v2 = w.v[d1][l];
      if (wide) v2 |= static_cast<uint64_t>(w.v[(d1 + 1) & 255][l]) << 32;
      if (op == A_MSKOR)
        cmp = data, data = v2;
      else
        cmp = v2;
    }
    uint8_t* p = lds_ptr(w, x, static_cast<uint64_t>(a[l]) + off, x.size);
    const uint64_t old = wide ? atomic_rmw_local<uint64_t>(p, op, data, cmp)
                              : atomic_rmw_local<uint32_t>(p, op, uint32_t(data), uint32_t(cmp));
    if (rtn) {
      const unsigned r = x.dst - kVgpr0;
      w.v[r][l] = static_cast<uint32_t>(old);
      if (wide) w.v[(r + 1) & 255][l] = static_cast<uint32_t>(old >> 32);
    }
  }
  w.ctx->stats->lds_bytes += 2ull * x.size * popcount32(e);
}
void h_ds_bpermute(Wave& w, const XInst& x) {
  const uint32_t* a = w.v[x.addr - kVgpr0];
  const uint32_t* s = w.v[x.data0 - kVgpr0];
  uint32_t* r = w.tmp[3];
  const uint32_t off = ds_offset(x), e = w.exec();
  for (unsigned l = 0; l < kLanes; ++l) {
    const unsigned src = ((a[l] + off) / 4) & 31;
    r[l] = (e >> src & 1) ? s[src] : 0;
  }
  write_v(w, x.dst, r);
}
void h_ds_permute(Wave& w, const XInst& x) {
  const uint32_t* a = w.v[x.addr - kVgpr0];
  const uint32_t* s = w.v[x.data0 - kVgpr0];
  uint32_t* r = w.tmp[3];
  const uint32_t off = ds_offset(x), e = w.exec();
  std::memset(r, 0, sizeof(uint32_t) * kLanes);
  for (unsigned l = 0; l < kLanes; ++l)
    if (e >> l & 1) r[((a[l] + off) / 4) & 31] = s[l];
  write_v(w, x.dst, r);
}
void h_nop(Wave&, const XInst&) {}

// Parses "..._u8", "_i16", "_b32", "_b64", "_b96", "_b128", "_u32", "_f64" ... at the end of a name.
unsigned size_of_suffix(std::string_view n) {
  for (auto [suf, sz] :
       {std::pair<const char*, unsigned>{"128", 16}, {"96", 12}, {"64", 8}, {"32", 4}, {"16", 2}, {"8", 1}}) {
    const std::string s = suf;
    if (n.size() >= s.size() && n.substr(n.size() - s.size()) == s) return sz;
  }
  return 4;
}

AtomOp atom_of(std::string_view n) {
  struct P {
    const char* key;
    AtomOp op;
  };
  static const P table[] = {{"cmpswap_f32", A_CMPSWAP_F32},
                            {"cmpstore_f32", A_CMPSWAP_F32},
                            {"cmpstore_rtn_f32", A_CMPSWAP_F32},
                            {"cmpswap", A_CMPSWAP},
                            {"cmpstore", A_CMPSWAP},
                            {"swap", A_SWAP},
                            {"storexchg", A_SWAP},
                            {"csub", A_CSUB},
                            {"rsub", A_RSUB},
                            {"sub", A_SUB},
                            {"add_f32", A_ADD_F32},
                            {"add_rtn_f32", A_ADD_F32},
                            {"add_f64", A_ADD_F64},
                            {"add", A_ADD},
                            {"min_f32", A_MIN_F32},
                            {"min_rtn_f32", A_MIN_F32},
                            {"min_f64", A_MIN_F64},
                            {"min_rtn_f64", A_MIN_F64},
                            {"max_f32", A_MAX_F32},
                            {"max_rtn_f32", A_MAX_F32},
                            {"max_f64", A_MAX_F64},
                            {"max_rtn_f64", A_MAX_F64},
                            {"min_i", A_MIN_I},
                            {"min_rtn_i", A_MIN_I},
                            {"min_u", A_MIN_U},
                            {"min_rtn_u", A_MIN_U},
                            {"max_i", A_MAX_I},
                            {"max_rtn_i", A_MAX_I},
                            {"max_u", A_MAX_U},
                            {"max_rtn_u", A_MAX_U},
                            {"and", A_AND},
                            {"mskor", A_MSKOR},
                            {"xor", A_XOR},
                            {"or", A_OR},
                            {"inc", A_INC},
                            {"dec", A_DEC}};
  for (const P& p : table)
    if (n.find(p.key) != std::string_view::npos) return p.op;
  return A_ADD;
}

}  // namespace

// Called at preparation: fills the size/flavour fields of a memory instruction from its name.
void prepare_memory_inst(XInst& x, std::string_view n) {
  x.size = static_cast<uint8_t>(size_of_suffix(n));
  x.opsel = L_PLAIN;
  if (n.find("_i8") != std::string_view::npos || n.find("_i16") != std::string_view::npos) x.opsel |= L_SIGNED;
  if (n.find("d16_hi") != std::string_view::npos || n.find("_d16_hi") != std::string_view::npos)
    x.opsel |= L_D16_HI;
  else if (n.find("d16") != std::string_view::npos)
    x.opsel |= L_D16_LO;
  // ds_store_b16_d16_hi / global_store_d16_hi_b16: the data is the high half.
  if (n.find("d16") != std::string_view::npos && (n.find("load") != std::string_view::npos) && !(x.opsel & L_D16_HI))
    x.opsel |= L_D16_LO;
  if (n.find("_u8") != std::string_view::npos || n.find("_i8") != std::string_view::npos ||
      n.find("_b8") != std::string_view::npos)
    x.size = 1;
  else if (n.find("_u16") != std::string_view::npos || n.find("_i16") != std::string_view::npos ||
           n.find("_b16") != std::string_view::npos)
    x.size = 2;
  x.dwords = x.size >= 4 ? x.size / 4 : 1;
  if (n.find("atomic") != std::string_view::npos ||
      (n.rfind("ds_", 0) == 0 && n.rfind("ds_load", 0) != 0 && n.rfind("ds_store_", 0) != 0)) {
    const AtomOp op = atom_of(n);
    x.aux = static_cast<uint8_t>(op << 2 | M_ATOMIC);
    const bool b64 = n.find("64") != std::string_view::npos;
    x.size = b64 ? 8 : 4;
  }
  if (n.rfind("ds_", 0) == 0 && n.find("stride64") != std::string_view::npos) x.aux = 1;
  if (n.rfind("ds_", 0) == 0 && n.find("2addr") != std::string_view::npos)
    x.size = n.find("b64") != std::string_view::npos ? 8 : 4;
  if (n.rfind("ds_", 0) == 0 && n.find("_rtn") != std::string_view::npos) x.glc = true;
  if (n.rfind("ds_storexchg", 0) == 0) x.glc = true;
}

void register_memory_ops() {
  auto R = [](std::string_view n, Handler h, uint8_t cls) { register_op(n, h, cls); };
  for (const char* seg : {"global_", "flat_", "scratch_"}) {
    const std::string s = seg;
    for (const char* t : {"u8", "i8", "u16", "i16", "b32", "b64", "b96", "b128", "d16_u8", "d16_i8", "d16_b16",
                          "d16_hi_u8", "d16_hi_i8", "d16_hi_b16"})
      R(s + "load_" + t, h_vmem_load, C_VMEM);
    for (const char* t : {"b8", "b16", "b32", "b64", "b96", "b128", "d16_hi_b8", "d16_hi_b16"})
      R(s + "store_" + t, h_vmem_store, C_VMEM);
    if (s == "scratch_") continue;
    for (const char* t :
         {"swap_b32", "cmpswap_b32", "add_u32", "sub_u32",     "csub_u32", "min_i32", "min_u32",  "max_i32",
          "max_u32",  "and_b32",     "or_b32",  "xor_b32",     "inc_u32",  "dec_u32", "swap_b64", "cmpswap_b64",
          "add_u64",  "sub_u64",     "min_i64", "min_u64",     "max_i64",  "max_u64", "and_b64",  "or_b64",
          "xor_b64",  "inc_u64",     "dec_u64", "cmpswap_f32", "min_f32",  "max_f32", "add_f32"})
      R(s + "atomic_" + t, h_vmem_atomic, C_VMEM);
  }
  for (const char* t : {"ds_load_b32", "ds_load_b64", "ds_load_b96", "ds_load_b128", "ds_load_u8", "ds_load_i8",
                        "ds_load_u16", "ds_load_i16", "ds_load_u8_d16", "ds_load_u8_d16_hi", "ds_load_i8_d16",
                        "ds_load_i8_d16_hi", "ds_load_u16_d16", "ds_load_u16_d16_hi"})
    R(t, h_ds_load, C_LDS);
  for (const char* t :
       {"ds_load_2addr_b32", "ds_load_2addr_b64", "ds_load_2addr_stride64_b32", "ds_load_2addr_stride64_b64"})
    R(t, h_ds_load2, C_LDS);
  for (const char* t : {"ds_store_b8", "ds_store_b16", "ds_store_b32", "ds_store_b64", "ds_store_b96", "ds_store_b128",
                        "ds_store_b8_d16_hi", "ds_store_b16_d16_hi"})
    R(t, h_ds_store, C_LDS);
  for (const char* t :
       {"ds_store_2addr_b32", "ds_store_2addr_b64", "ds_store_2addr_stride64_b32", "ds_store_2addr_stride64_b64"})
    R(t, h_ds_store2, C_LDS);
  for (const char* base :
       {"add", "sub", "rsub", "inc", "dec", "min_i", "max_i", "min_u", "max_u", "and", "or", "xor", "mskor"}) {
    const std::string b = base;
    const bool typed = b.back() == 'i' || b.back() == 'u';
    for (const char* width : {"32", "64"}) {
      const std::string suffix =
          typed ? b + width : b + (b == "and" || b == "or" || b == "xor" || b == "mskor" ? "_b" : "_u") + width;
      const std::string plain = "ds_" + suffix;
      // ds_min_i32 / ds_min_rtn_i32 (the _rtn goes before the type).
      std::string rtn;
      if (typed)
        rtn = "ds_" + b.substr(0, b.size() - 1) + "rtn_" + b.back() + width;
      else
        rtn = "ds_" + b + "_rtn" + suffix.substr(b.size());
      R(plain, h_ds_atomic, C_LDS);
      R(rtn, h_ds_atomic, C_LDS);
    }
  }
  for (const char* t : {"ds_cmpstore_b32", "ds_cmpstore_rtn_b32", "ds_cmpstore_b64", "ds_cmpstore_rtn_b64",
                        "ds_cmpstore_f32", "ds_cmpstore_rtn_f32", "ds_storexchg_rtn_b32", "ds_storexchg_rtn_b64",
                        "ds_add_f32", "ds_add_rtn_f32", "ds_min_f32", "ds_max_f32", "ds_min_rtn_f32", "ds_max_rtn_f32",
                        "ds_min_f64", "ds_max_f64", "ds_min_rtn_f64", "ds_max_rtn_f64"})
    R(t, h_ds_atomic, C_LDS);
  R("ds_bpermute_b32", h_ds_bpermute, C_LDS);
  R("ds_permute_b32", h_ds_permute, C_LDS);
  R("ds_nop", h_nop, C_LDS);
  for (const char* t : {"buffer_gl0_inv", "buffer_gl1_inv"}) R(t, h_nop, C_VMEM);
}

}  // namespace spork::sim::detail
