// Exec masking, saveexec, cmpx, lane ops (readlane, writelane, readfirstlane, mbcnt).
// Per lane a b c d = in[lane*4 + 0..3]; results at out[lane*64 + j]. Lanes = EXEC at entry.
.text
.globl lanes
lanes:
  v_lshlrev_b32 v1, 4, v0
  global_load_b128 v[4:7], v1, s[0:1]
  v_lshlrev_b32 v2, 8, v0
  s_waitcnt vmcnt(0)
  s_mov_b32 s20, exec_lo
  v_mov_b32 v8, 222
  v_cmp_gt_u32_e32 vcc_lo, 16, v0
  s_and_saveexec_b32 s4, vcc_lo
  v_mov_b32 v8, 111
  s_or_b32 exec_lo, exec_lo, s4
  global_store_b32 v2, v8, s[2:3] offset:0
  v_mov_b32 v8, 0
  v_cmp_lt_u32_e32 vcc_lo, v4, v5
  s_and_saveexec_b32 s5, vcc_lo
  s_cbranch_execz else1
  v_sub_nc_u32 v8, v5, v4
else1:
  s_xor_b32 exec_lo, s5, exec_lo
  s_and_b32 exec_lo, exec_lo, s20
  s_cbranch_execz done1
  v_sub_nc_u32 v8, v4, v5
done1:
  s_mov_b32 exec_lo, s20
  global_store_b32 v2, v8, s[2:3] offset:4
  v_readlane_b32 s6, v4, 7
  v_mov_b32 v8, s6
  global_store_b32 v2, v8, s[2:3] offset:8
  v_mov_b32 v9, 5
  v_writelane_b32 v9, s6, 3
  global_store_b32 v2, v9, s[2:3] offset:12
  v_cmp_lt_u32_e32 vcc_lo, 9, v0
  s_and_saveexec_b32 s7, vcc_lo
  v_readfirstlane_b32 s8, v5
  s_mov_b32 exec_lo, s7
  v_mov_b32 v8, s8
  global_store_b32 v2, v8, s[2:3] offset:16
  v_mbcnt_lo_u32_b32 v8, s20, 0
  global_store_b32 v2, v8, s[2:3] offset:20
  s_mov_b32 s9, exec_lo
  v_cmpx_ne_u32_e32 0, v6
  v_mov_b32 v8, 1
  s_mov_b32 s10, exec_lo
  s_mov_b32 exec_lo, s9
  v_cndmask_b32_e64 v9, 0, 1, s10
  global_store_b32 v2, v9, s[2:3] offset:24
  s_bcnt1_i32_b32 s11, s20
  v_mov_b32 v8, s11
  global_store_b32 v2, v8, s[2:3] offset:28
  s_endpgm
