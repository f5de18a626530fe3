// OpenCL C work-item functions over clang's amdgcn builtins: spork builds kernels
// with -nogpulib, so there is no device library to provide them.
#pragma once
static inline uint spork_local_id(uint d) {
  return d == 0   ? __builtin_amdgcn_workitem_id_x()
         : d == 1 ? __builtin_amdgcn_workitem_id_y()
                  : __builtin_amdgcn_workitem_id_z();
}
static inline uint spork_group_id(uint d) {
  return d == 0   ? __builtin_amdgcn_workgroup_id_x()
         : d == 1 ? __builtin_amdgcn_workgroup_id_y()
                  : __builtin_amdgcn_workgroup_id_z();
}
static inline uint spork_local_size(uint d) {
  return d == 0   ? __builtin_amdgcn_workgroup_size_x()
         : d == 1 ? __builtin_amdgcn_workgroup_size_y()
                  : __builtin_amdgcn_workgroup_size_z();
}
static inline uint spork_num_groups(uint d) {
  // Code object v5 hidden arguments: hidden_block_count_{x,y,z} at offsets 0, 4, 8.
  const __constant uint* h = (const __constant uint*)__builtin_amdgcn_implicitarg_ptr();
  return h[d];
}
static inline size_t spork_global_id(uint d) {
  return (size_t)spork_group_id(d) * spork_local_size(d) + spork_local_id(d);
}
static inline size_t spork_global_size(uint d) { return (size_t)spork_num_groups(d) * spork_local_size(d); }
static inline void spork_barrier(void) {
  __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
  __builtin_amdgcn_s_barrier();
  __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
}
#define get_local_id(d) spork_local_id(d)
#define get_group_id(d) spork_group_id(d)
#define get_local_size(d) spork_local_size(d)
#define get_num_groups(d) spork_num_groups(d)
#define get_global_id(d) spork_global_id(d)
#define get_global_size(d) spork_global_size(d)
#define barrier(flags) spork_barrier()
#define fma(a, b, c) __builtin_fmaf((a), (b), (c))
