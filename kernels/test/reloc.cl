#include "spork_ocl.h"
// A table of pointers in constant memory: the linker can only express its entries as
// R_AMDGPU_RELATIVE64 relocations (base + addend), which the loader applies when it
// places the image. out[i] = luts[which % 2][i % 4] for i < 4.
__constant int lut_a[4] = {1, 2, 3, 4};
__constant int lut_b[4] = {10, 20, 30, 40};
__constant int* __constant luts[2] = {lut_a, lut_b};
__kernel void reloc_lookup(__global int* out, uint which) {
  uint i = get_global_id(0);
  if (i < 4) out[i] = luts[which % 2][i % 4];
}
