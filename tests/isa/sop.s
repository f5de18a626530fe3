// Scalar ALU, SMEM and scalar branches: one wave, lane 0 stores results.
// in = 8 dwords (a b c d e f g h), loaded with s_load; result j at out[j].
// User SGPRs: s[0:1] = in, s[2:3] = out.
.text
.globl sop
sop:
  s_load_b256 s[8:15], s[0:1], 0x0
  v_mov_b32 v1, 0
  s_waitcnt lgkmcnt(0)
  s_add_u32 s20, s8, s9
  s_addc_u32 s21, s10, s11
  s_cselect_b32 s22, 1, 0
  s_sub_u32 s23, s8, s9
  s_cselect_b32 s24, 1, 0
  s_mul_i32 s25, s8, s9
  s_mul_hi_u32 s26, s8, s9
  s_lshl_b64 s[28:29], s[8:9], 7
  s_lshr_b32 s30, s8, s9
  s_ashr_i32 s31, s10, 5
  s_bfe_u32 s32, s8, 0x50003
  s_and_b32 s33, s8, s9
  s_or_b32 s34, s8, s9
  s_xor_b32 s35, s8, s9
  s_nand_b32 s36, s8, s9
  s_and_not1_b32 s37, s8, s9
  s_cmp_lt_i32 s8, s9
  s_cselect_b32 s38, s10, s11
  s_min_u32 s39, s8, s9
  s_max_i32 s40, s8, s9
  s_bcnt1_i32_b32 s41, s8
  s_ctz_i32_b32 s42, s9
  s_brev_b32 s43, s8
  s_sext_i32_i8 s44, s8
  s_movk_i32 s45, 0x8234
  s_mov_b32 s46, s12
  s_addk_i32 s46, 0x1234
  s_cmpk_eq_u32 s13, 0x7
  s_cselect_b32 s47, 1, 2
  s_abs_i32 s48, s10
  s_lshl2_add_u32 s49, s8, s9
  s_pack_ll_b32_b16 s50, s8, s9
  s_bitcmp1_b32 s8, 3
  s_cselect_b32 s51, 5, 6
  s_mov_b64 s[52:53], s[10:11]
  s_cmp_eq_u32 s14, s14
  s_cmov_b32 s52, s15
  s_not_b32 s54, s8
  s_xnor_b32 s55, s8, s9
  s_bfm_b32 s56, 5, 3
  s_mul_hi_i32 s57, s10, s11
  s_and_b32 s58, s15, 15
  s_mov_b32 s59, 0
  s_mov_b32 s60, 0
loop:
  s_add_u32 s59, s59, s58
  s_add_i32 s60, s60, 1
  s_cmp_lt_u32 s60, 10
  s_cbranch_scc1 loop
  s_branch skip
  s_mov_b32 s59, 0
skip:
  s_getpc_b64 s[62:63]
  s_sub_u32 s62, s62, s0
  s_min_i32 s61, s10, s11
  s_lshr_b64 s[64:65], s[10:11], s9
  s_ashr_i64 s[66:67], s[10:11], 33
  s_or_saveexec_b32 s68, -1
  s_mov_b32 s69, exec_lo
  s_mov_b32 s70, 0
  s_cmp_eq_u64 s[8:9], s[8:9]
  s_cbranch_scc0 bad
  s_mov_b32 s70, 1
bad:
  s_mov_b32 exec_lo, 1
  .irp r, 20,21,22,23,24,25,26,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,59,60,61,64,65,66,67,69,70
  v_mov_b32 v0, s\r
  global_store_b32 v1, v0, s[2:3] offset:\r*4
  .endr
  s_endpgm
