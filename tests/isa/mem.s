// DS (incl. 2addr and atomics), global and scratch loads/stores and global atomics.
// Per lane: a b c d = in[lane*4 + 0..3]. Results at out[lane*64 + j]; global atomics on
// out[2048 + k]. User SGPRs: s[0:1] = in, s[2:3] = out. LDS: 4 KiB. Scratch: 64 B/lane.
.text
.globl mem
mem:
  v_lshlrev_b32 v1, 4, v0
  global_load_b128 v[4:7], v1, s[0:1]
  v_lshlrev_b32 v2, 8, v0
  v_lshlrev_b32 v3, 2, v0
  s_waitcnt vmcnt(0)
  ds_store_b32 v3, v4
  v_lshlrev_b32 v10, 3, v0
  ds_store_b64 v10, v[6:7] offset:256
  ds_store_2addr_b32 v3, v5, v6 offset0:128 offset1:160
  s_waitcnt lgkmcnt(0)
  s_barrier
  v_xor_b32 v11, 4, v3
  ds_load_2addr_b32 v[8:9], v11 offset1:128
  s_waitcnt lgkmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:0
  ds_load_b64 v[8:9], v10 offset:256
  s_waitcnt lgkmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:8
  ds_load_u8 v8, v3 offset:1
  ds_load_i16 v9, v3 offset:2
  s_waitcnt lgkmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:16
  ds_load_2addr_stride64_b32 v[8:9], v3 offset1:1
  s_waitcnt lgkmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:24
  v_mov_b32 v12, 0x800
  v_mov_b32 v13, 1
  ds_add_rtn_u32 v8, v12, v13
  ds_max_u32 v12, v4 offset:4
  ds_min_rtn_i32 v9, v12, v5 offset:8
  s_waitcnt lgkmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:32
  s_barrier
  ds_load_b64 v[8:9], v12
  s_waitcnt lgkmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:40
  ds_cmpstore_rtn_b32 v8, v3, v7, v4
  s_waitcnt lgkmcnt(0)
  ds_load_b32 v9, v3
  s_waitcnt lgkmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:48
  // scratch: per-lane private memory, SV and ST addressing
  scratch_store_b32 off, v4, off offset:16
  v_mov_b32 v14, 20
  scratch_store_b64 v14, v[6:7], off offset:4
  scratch_store_b8 off, v5, off offset:40
  scratch_load_b32 v8, off, off offset:16
  scratch_load_b64 v[16:17], v14, off offset:4
  scratch_load_u8 v9, off, off offset:40
  s_waitcnt vmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:56
  global_store_b64 v2, v[16:17], s[2:3] offset:64
  // global sub-dword stores/loads
  v_mov_b32 v8, 0
  global_store_b32 v2, v8, s[2:3] offset:72
  global_store_b8 v2, v4, s[2:3] offset:72
  global_store_b16 v2, v5, s[2:3] offset:74
  global_load_i8 v9, v1, s[0:1] offset:3
  global_load_u16 v15, v1, s[0:1] offset:6
  s_waitcnt vmcnt(0)
  global_store_b64 v2, v[8:9], s[2:3] offset:76
  global_store_b32 v2, v15, s[2:3] offset:84
  global_load_b96 v[8:10], v1, s[0:1] offset:4
  s_waitcnt vmcnt(0)
  global_store_b96 v2, v[8:10], s[2:3] offset:88
  // global atomics
  v_mov_b32 v20, 0x2000
  global_atomic_add_u32 v8, v20, v13, s[2:3] glc
  global_atomic_max_i32 v20, v4, s[2:3] offset:4
  global_atomic_xor_b32 v20, v5, s[2:3] offset:8
  global_atomic_add_u64 v20, v[6:7], s[2:3] offset:16
  s_waitcnt vmcnt(0)
  global_store_b32 v2, v8, s[2:3] offset:100
  v_mov_b32 v22, v0
  v_add_nc_u32 v23, 1, v0
  global_atomic_cmpswap_b32 v9, v20, v[22:23], s[2:3] offset:24 glc
  s_waitcnt vmcnt(0)
  global_store_b32 v2, v9, s[2:3] offset:104
  // FLAT: generic addresses into LDS (shared aperture), scratch (private aperture) and global
  s_mov_b64 s[10:11], src_shared_base
  v_mov_b32 v25, s11
  v_mov_b32 v24, v3
  flat_load_b32 v8, v[24:25]
  s_mov_b64 s[12:13], src_private_base
  v_mov_b32 v27, s13
  v_mov_b32 v26, 16
  flat_load_b32 v9, v[26:27]
  s_waitcnt vmcnt(0) lgkmcnt(0)
  v_add_co_u32 v28, vcc_lo, s2, v2
  v_add_co_ci_u32_e64 v29, null, s3, 0, vcc_lo
  flat_store_b64 v[28:29], v[8:9] offset:108
  flat_atomic_add_u32 v30, v[24:25], v13 glc
  s_waitcnt vmcnt(0) lgkmcnt(0)
  flat_store_b32 v[28:29], v30 offset:116
  flat_load_b32 v31, v[24:25]
  s_waitcnt vmcnt(0) lgkmcnt(0)
  flat_store_b32 v[28:29], v31 offset:120
  s_endpgm
