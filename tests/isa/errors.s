// Programs that must fail cleanly (tests/isa/test_isa.cpp "errors"): each is its own entry
// point. User SGPRs: s[0:1] = in (read-only), s[2:3] = out.
.text
.globl fault_unmapped
fault_unmapped:
  v_mov_b32 v1, 0
  s_add_u32 s0, s0, 0x100000
  s_addc_u32 s1, s1, 0
  global_load_b32 v2, v1, s[0:1]
  s_waitcnt vmcnt(0)
  s_endpgm
.p2align 8
.globl fault_readonly
fault_readonly:
  v_mov_b32 v1, 0
  global_store_b32 v1, v1, s[0:1] offset:16
  s_endpgm
.p2align 8
.globl hang
hang:
  s_add_u32 s4, s4, 1
  s_branch hang
.p2align 8
.globl unimplemented
unimplemented:
  v_mov_b32 v1, 1.0
  v_cubeid_f32 v2, v1, v1, v1
  s_endpgm
.p2align 8
.globl lds_oob
lds_oob:
  v_mov_b32 v1, 0xffc
  ds_store_b32 v1, v1
  ds_load_b64 v[2:3], v1
  s_waitcnt lgkmcnt(0)
  s_endpgm
.p2align 8
.globl undecodable
undecodable:
  v_mov_b32 v1, 0
  .long 0xf0000000, 0x00000000
  s_endpgm
.p2align 8
.globl scratch_off
scratch_off:
  scratch_store_b32 off, v0, off offset:4
  s_endpgm
