#include "sim/memory.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace spork::sim {

namespace {
std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
bool page_aligned(uint64_t v) { return v % Memory::kPageSize == 0; }
uint32_t needed_perm(Access a) { return a == Access::Read ? PERM_READ : a == Access::Write ? PERM_WRITE : PERM_EXEC; }
}  // namespace

const char* to_string(Domain d) { return d == Domain::VRAM ? "VRAM" : "GTT"; }
const char* to_string(Access a) { return a == Access::Read ? "read" : a == Access::Write ? "write" : "execute"; }
std::string perms_string(uint32_t p) {
  std::string s = "---";
  if (p & PERM_READ) s[0] = 'r';
  if (p & PERM_WRITE) s[1] = 'w';
  if (p & PERM_EXEC) s[2] = 'x';
  return s;
}

Memory::Memory() {
  current_ = std::make_unique<Table>();
  table_.store(current_.get(), std::memory_order_release);
}
Memory::~Memory() = default;

Memory::BoHandle Memory::create_bo(uint64_t size, Domain domain) {
  if (size == 0) throw std::invalid_argument("sim::Memory::create_bo: size 0");
  if (size > (1ull << 40))
    throw std::invalid_argument("sim::Memory::create_bo: size " + std::to_string(size) + " is absurd");
  uint64_t rounded = (size + kPageSize - 1) / kPageSize * kPageSize;
  std::unique_ptr<uint8_t[]> data(new (std::nothrow) uint8_t[rounded]());
  if (!data)
    throw std::runtime_error("sim::Memory::create_bo: out of host memory for a " + std::to_string(rounded) + "-byte " +
                             to_string(domain) + " buffer");
  std::lock_guard lk(mu_);
  BoHandle h = next_++;
  bos_.emplace(h, Bo{std::move(data), rounded, domain});
  return h;
}

void Memory::destroy_bo(BoHandle bo) {
  std::lock_guard lk(mu_);
  auto it = bos_.find(bo);
  if (it == bos_.end()) throw std::invalid_argument("sim::Memory::destroy_bo: unknown BO " + std::to_string(bo));
  bool removed = false;
  for (auto m = maps_.begin(); m != maps_.end();) {
    if (m->second.bo == bo) {
      m = maps_.erase(m);
      removed = true;
    } else {
      ++m;
    }
  }
  retired_storage_.push_back(std::move(it->second.data));
  bos_.erase(it);
  if (removed) {
    auto t = std::make_unique<Table>();
    for (auto& [va, m] : maps_) t->maps.push_back(m);
    publish_locked(std::move(t));
  }
  collect_locked();
}

uint64_t Memory::bo_size(BoHandle bo) const {
  std::lock_guard lk(mu_);
  auto it = bos_.find(bo);
  if (it == bos_.end()) throw std::invalid_argument("sim::Memory::bo_size: unknown BO " + std::to_string(bo));
  return it->second.size;
}

Domain Memory::bo_domain(BoHandle bo) const {
  std::lock_guard lk(mu_);
  auto it = bos_.find(bo);
  if (it == bos_.end()) throw std::invalid_argument("sim::Memory::bo_domain: unknown BO " + std::to_string(bo));
  return it->second.domain;
}

uint8_t* Memory::bo_cpu_ptr(BoHandle bo) {
  std::lock_guard lk(mu_);
  auto it = bos_.find(bo);
  if (it == bos_.end()) throw std::invalid_argument("sim::Memory::bo_cpu_ptr: unknown BO " + std::to_string(bo));
  return it->second.data.get();
}

void Memory::map(BoHandle bo, uint64_t va, uint64_t offset, uint64_t size, uint32_t perms) {
  if (!page_aligned(va) || !page_aligned(offset) || !page_aligned(size) || size == 0)
    throw std::invalid_argument("sim::Memory::map: va " + hex(va) + ", offset " + hex(offset) + ", size " + hex(size) +
                                " must be non-zero multiples of the 4096-byte page");
  if (va < kVaStart || va >= kVaEnd || size > kVaEnd - va)
    throw std::invalid_argument("sim::Memory::map: range " + hex(va) + "+" + hex(size) +
                                " is outside the GPU VA space [" + hex(kVaStart) + ", " + hex(kVaEnd) + ")");
  if (perms == 0 || (perms & ~uint32_t(PERM_READ | PERM_WRITE | PERM_EXEC)))
    throw std::invalid_argument("sim::Memory::map: bad permissions " + std::to_string(perms));
  std::lock_guard lk(mu_);
  auto b = bos_.find(bo);
  if (b == bos_.end()) throw std::invalid_argument("sim::Memory::map: unknown BO " + std::to_string(bo));
  if (offset > b->second.size || size > b->second.size - offset)
    throw std::invalid_argument("sim::Memory::map: range " + hex(offset) + "+" + hex(size) + " exceeds BO " +
                                std::to_string(bo) + " of " + hex(b->second.size) + " bytes");
  // Overlap with the mapping at or before va, or any mapping starting inside [va, va+size).
  auto next = maps_.lower_bound(va);
  if (next != maps_.end() && next->first < va + size)
    throw std::invalid_argument("sim::Memory::map: " + hex(va) + "+" + hex(size) + " overlaps the mapping at " +
                                hex(next->first));
  if (next != maps_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.size > va)
      throw std::invalid_argument("sim::Memory::map: " + hex(va) + "+" + hex(size) + " overlaps the mapping at " +
                                  hex(prev->first));
  }
  maps_.emplace(va, Mapping{va, size, offset, bo, perms, b->second.data.get() + offset, b->second.domain});
  auto t = std::make_unique<Table>();
  for (auto& [a, m] : maps_) t->maps.push_back(m);
  publish_locked(std::move(t));
  collect_locked();
}

void Memory::unmap(uint64_t va) {
  std::lock_guard lk(mu_);
  auto it = maps_.find(va);
  if (it == maps_.end()) throw std::invalid_argument("sim::Memory::unmap: no mapping starts at " + hex(va));
  maps_.erase(it);
  auto t = std::make_unique<Table>();
  for (auto& [a, m] : maps_) t->maps.push_back(m);
  publish_locked(std::move(t));
  collect_locked();
}

uint64_t Memory::find_free_va(uint64_t size, uint64_t align) const {
  if (size == 0) size = kPageSize;
  size = (size + kPageSize - 1) / kPageSize * kPageSize;
  if (align < kPageSize) align = kPageSize;
  if (align & (align - 1)) throw std::invalid_argument("sim::Memory::find_free_va: alignment must be a power of two");
  std::lock_guard lk(mu_);
  uint64_t cand = kVaStart;
  for (auto& [va, m] : maps_) {
    cand = (cand + align - 1) & ~(align - 1);
    if (cand + size <= va) return cand;
    cand = std::max(cand, va + m.size);
  }
  cand = (cand + align - 1) & ~(align - 1);
  if (cand + size > kVaEnd) throw std::runtime_error("sim::Memory::find_free_va: GPU VA space exhausted");
  return cand;
}

void Memory::fault(const Table& t, uint64_t va, uint64_t size, Access access, const char* why, const Mapping* m) const {
  std::string msg = "GPU VM fault: " + std::string(to_string(access)) + " of " + std::to_string(size) + " byte" +
                    (size == 1 ? "" : "s") + " at " + hex(va) + ": " + why;
  if (m) {
    msg += " (mapping " + hex(m->va) + "-" + hex(m->va + m->size) + " " + perms_string(m->perms) + ", BO " +
           std::to_string(m->bo) + " in " + to_string(m->domain) + ")";
  } else {
    // Name the neighbours so an off-by-a-bit address is easy to spot.
    auto it = std::upper_bound(t.maps.begin(), t.maps.end(), va, [](uint64_t a, const Mapping& x) { return a < x.va; });
    if (it != t.maps.begin()) {
      auto& p = *std::prev(it);
      msg +=
          "; nearest mapping below ends at " + hex(p.va + p.size) + " (" + hex(va - (p.va + p.size)) + " bytes before)";
    }
    if (it != t.maps.end()) msg += "; next mapping starts at " + hex(it->va);
    if (t.maps.empty()) msg += "; nothing is mapped";
  }
  throw VmFault(va, access, msg);
}

Memory::Range Memory::lookup(uint64_t va, uint64_t size, Access access) const {
  const Table& t = *table_.load(std::memory_order_acquire);
  auto it = std::upper_bound(t.maps.begin(), t.maps.end(), va, [](uint64_t a, const Mapping& x) { return a < x.va; });
  if (it == t.maps.begin()) fault(t, va, size, access, "address is not mapped", nullptr);
  const Mapping& m = *std::prev(it);
  if (va - m.va >= m.size) fault(t, va, size, access, "address is not mapped", nullptr);
  if (size > m.size - (va - m.va)) fault(t, va, size, access, "access runs past the end of its mapping", &m);
  uint32_t need = needed_perm(access);
  if (!(m.perms & need)) {
    const char* why = access == Access::Read    ? "mapping is not readable"
                      : access == Access::Write ? "mapping is not writable"
                                                : "mapping is not executable";
    fault(t, va, size, access, why, &m);
  }
  return Range{m.va, m.va + m.size, m.host, m.domain, m.perms, m.bo};
}

uint8_t* Memory::translate(uint64_t va, uint64_t size, Access access) const {
  Range r = lookup(va, size, access);
  return r.ptr(va);
}

void Memory::read(uint64_t va, void* dst, uint64_t size) const {
  Pin pin(*this);
  // Accesses may span adjacent mappings; each piece is checked on its own.
  auto* d = static_cast<uint8_t*>(dst);
  while (size) {
    Range r = lookup(va, 1, Access::Read);
    uint64_t n = std::min(size, r.va_end - va);
    std::memcpy(d, r.ptr(va), n);
    d += n, va += n, size -= n;
  }
}

void Memory::write(uint64_t va, const void* src, uint64_t size) {
  Pin pin(*this);
  auto* s = static_cast<const uint8_t*>(src);
  while (size) {
    Range r = lookup(va, 1, Access::Write);
    uint64_t n = std::min(size, r.va_end - va);
    std::memcpy(r.ptr(va), s, n);
    s += n, va += n, size -= n;
  }
}

Memory::Pin::Pin(const Memory& m) : m_(m) {
  std::lock_guard lk(m_.mu_);
  ++m_.pins_;
}
Memory::Pin::~Pin() {
  std::lock_guard lk(m_.mu_);
  --m_.pins_;
  m_.collect_locked();
}

void Memory::publish_locked(std::unique_ptr<Table> t) {
  table_.store(t.get(), std::memory_order_release);
  retired_tables_.push_back(std::move(current_));
  current_ = std::move(t);
}

void Memory::collect_locked() const {
  if (pins_ > 0) return;
  retired_tables_.clear();
  retired_storage_.clear();
}

size_t Memory::bo_count() const {
  std::lock_guard lk(mu_);
  return bos_.size();
}
size_t Memory::mapping_count() const {
  std::lock_guard lk(mu_);
  return maps_.size();
}

}  // namespace spork::sim
