// The simulated GPU's virtual address space: buffer objects (VRAM or GTT) backed by
// host memory, mapped page-granularly with read/write/execute permissions.
// Every GPU access goes through translate(), which checks bounds and permissions.
//
// Concurrency: translate()/lookup() never lock. The mapping table is an immutable
// snapshot published atomically; map()/unmap()/destroy_bo() build a new one. Old
// snapshots and the storage of destroyed BOs are freed only while no Pin is held, so
// a dispatch (the command processor holds a Pin for each submission) may keep
// translating from many shader threads while the host maps or frees other BOs.
// Host threads that call translate() outside a Pin must not race with unmap/destroy.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace spork::sim {

enum class Domain { VRAM, GTT };
enum Perm : uint32_t { PERM_READ = 1, PERM_WRITE = 2, PERM_EXEC = 4 };
enum class Access { Read, Write, Exec };

const char* to_string(Domain d);
const char* to_string(Access a);
std::string perms_string(uint32_t perms);  // "rwx", "r--", ...

// A GPU access that hit no mapping or lacked permission. The shader core fills in
// the wave, PC and instruction before the fault reaches the user.
struct VmFault : std::runtime_error {
  uint64_t address;
  Access access;
  std::string wave;  // "wg (x,y,z) wave n" when known
  uint64_t pc = 0;
  std::string instruction;
  VmFault(uint64_t addr, Access a, const std::string& what) : std::runtime_error(what), address(addr), access(a) {}
};

class Memory {
 public:
  static constexpr uint64_t kPageSize = 4096;
  // GPU virtual addresses that map() accepts: [kVaStart, kVaEnd). The first 4 GiB
  // stay unmapped so that null and small pointers fault.
  static constexpr uint64_t kVaStart = 1ull << 32;
  static constexpr uint64_t kVaEnd = 1ull << 47;
  using BoHandle = uint32_t;

  Memory();
  ~Memory();
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;

  BoHandle create_bo(uint64_t size, Domain domain);  // size rounded up to pages, zero-filled
  void destroy_bo(BoHandle bo);                      // also removes its mappings
  uint64_t bo_size(BoHandle bo) const;
  Domain bo_domain(BoHandle bo) const;
  uint8_t* bo_cpu_ptr(BoHandle bo);  // CPU mapping of the whole BO

  // Maps [offset, offset+size) of bo at GPU address va; va, offset, size page-aligned.
  // Throws std::invalid_argument on misalignment, overlap, bad range or unknown BO.
  void map(BoHandle bo, uint64_t va, uint64_t offset, uint64_t size, uint32_t perms);
  void unmap(uint64_t va);  // va = start of a mapping

  // A free page-aligned GPU VA range of `size` bytes (not reserved: map() it next).
  uint64_t find_free_va(uint64_t size, uint64_t align = kPageSize) const;

  // Host pointer for a GPU access of `size` bytes at va, all of it inside one mapping
  // with the needed permission; throws VmFault otherwise.
  uint8_t* translate(uint64_t va, uint64_t size, Access access) const;

  // The whole mapping that holds [va, va+size) with the needed permission, so a core
  // can check once and then address any byte of [va_begin, va_end) directly, and
  // attribute traffic to a domain. Throws VmFault like translate().
  struct Range {
    uint64_t va_begin = 0, va_end = 0;  // GPU VA of the mapping
    uint8_t* host = nullptr;            // host address of va_begin
    Domain domain = Domain::VRAM;
    uint32_t perms = 0;
    BoHandle bo = 0;
    bool contains(uint64_t va, uint64_t size) const {
      return va >= va_begin && size <= va_end - va && va + size <= va_end;
    }
    uint8_t* ptr(uint64_t va) const { return host + (va - va_begin); }
  };
  Range lookup(uint64_t va, uint64_t size, Access access) const;

  // Convenience for the command processor and tests (checked like GPU accesses).
  void read(uint64_t va, void* dst, uint64_t size) const;
  void write(uint64_t va, const void* src, uint64_t size);

  // While a Pin lives, no mapping snapshot or destroyed BO storage is freed.
  class Pin {
   public:
    explicit Pin(const Memory& m);
    ~Pin();
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;

   private:
    const Memory& m_;
  };

  size_t bo_count() const;
  size_t mapping_count() const;

 private:
  struct Bo {
    std::unique_ptr<uint8_t[]> data;
    uint64_t size;
    Domain domain;
  };
  struct Mapping {
    uint64_t va, size, offset;
    BoHandle bo;
    uint32_t perms;
    uint8_t* host;
    Domain domain;
  };
  struct Table {
    std::vector<Mapping> maps;  // sorted by va, non-overlapping
  };

  [[noreturn]] void fault(const Table& t, uint64_t va, uint64_t size, Access access, const char* why,
                          const Mapping* m) const;
  void publish_locked(std::unique_ptr<Table> t);  // mu_ held
  void collect_locked() const;                    // mu_ held; frees retired data when unpinned

  mutable std::mutex mu_;
  std::map<BoHandle, Bo> bos_;
  std::map<uint64_t, Mapping> maps_;  // by va; the master copy, snapshot in table_
  BoHandle next_ = 1;
  std::atomic<const Table*> table_{nullptr};
  std::unique_ptr<const Table> current_;  // owns *table_
  mutable int pins_ = 0;
  mutable std::vector<std::unique_ptr<const Table>> retired_tables_;
  mutable std::vector<std::unique_ptr<uint8_t[]>> retired_storage_;
};

}  // namespace spork::sim
