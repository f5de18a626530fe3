// The simulated GPU's virtual address space: buffer objects (VRAM or GTT) backed by
// host memory, mapped page-granularly with read/write/execute permissions.
// Every GPU access goes through translate(), which checks bounds and permissions.
// Mappings do not change while a dispatch runs, so translate() may be called from
// many shader threads at once.
#pragma once
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
  using BoHandle = uint32_t;

  BoHandle create_bo(uint64_t size, Domain domain);  // size rounded up to pages, zero-filled
  void destroy_bo(BoHandle bo);                       // also removes its mappings
  uint64_t bo_size(BoHandle bo) const;
  Domain bo_domain(BoHandle bo) const;
  uint8_t* bo_cpu_ptr(BoHandle bo);  // CPU mapping of the whole BO

  // Maps [offset, offset+size) of bo at GPU address va; va, offset, size page-aligned.
  void map(BoHandle bo, uint64_t va, uint64_t offset, uint64_t size, uint32_t perms);
  void unmap(uint64_t va);

  // Host pointer for a GPU access of `size` bytes at va, all of it inside one mapping
  // with the needed permission; throws VmFault otherwise.
  uint8_t* translate(uint64_t va, uint64_t size, Access access) const;

  // Convenience for the command processor and tests (checked like GPU accesses).
  void read(uint64_t va, void* dst, uint64_t size) const;
  void write(uint64_t va, const void* src, uint64_t size);

 private:
  struct Bo { std::unique_ptr<uint8_t[]> data; uint64_t size; Domain domain; };
  struct Mapping { uint64_t va, size, offset; BoHandle bo; uint32_t perms; uint8_t* host; };
  std::map<BoHandle, Bo> bos_;
  std::map<uint64_t, Mapping> maps_;  // by va
  BoHandle next_ = 1;
};

}  // namespace spork::sim
