// VALU conformance (VOP1, VOP2, VOP3, VOP3 SDST, VOPC, VOPD, VOP3P): per lane, inputs
// a b c d = in[lane*4 + 0..3]; result j stored at out[lane*64 + j].
// User SGPRs: s[0:1] = in, s[2:3] = out; v0 = lane id.
.text
.globl valu
valu:
  v_lshlrev_b32 v1, 4, v0
  global_load_b128 v[4:7], v1, s[0:1]
  v_lshlrev_b32 v2, 8, v0
  s_waitcnt vmcnt(0)
  v_add_f32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:0
  v_mul_f32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:4
  v_fma_f32 v8, v4, v5, v6
  global_store_b32 v2, v8, s[2:3] offset:8
  v_mov_b32 v8, v6
  v_fmac_f32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:12
  v_max_f32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:16
  v_min_f32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:20
  v_add_nc_u32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:24
  v_sub_nc_u32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:28
  v_mul_lo_u32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:32
  v_mul_hi_u32 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:36
  v_lshlrev_b32 v8, v5, v4
  global_store_b32 v2, v8, s[2:3] offset:40
  v_ashrrev_i32 v8, v5, v4
  global_store_b32 v2, v8, s[2:3] offset:44
  v_bfe_u32 v8, v4, 3, 7
  global_store_b32 v2, v8, s[2:3] offset:48
  v_bfi_b32 v8, v4, v5, v6
  global_store_b32 v2, v8, s[2:3] offset:52
  v_alignbit_b32 v8, v4, v5, v6
  global_store_b32 v2, v8, s[2:3] offset:56
  v_lshl_add_u32 v8, v4, 3, v5
  global_store_b32 v2, v8, s[2:3] offset:60
  v_add3_u32 v8, v4, v5, v6
  global_store_b32 v2, v8, s[2:3] offset:64
  v_xor3_b32 v8, v4, v5, v6
  global_store_b32 v2, v8, s[2:3] offset:68
  v_cmp_lt_f32_e64 s4, v4, v5
  v_cndmask_b32_e64 v8, v5, v4, s4
  global_store_b32 v2, v8, s[2:3] offset:72
  v_cmp_gt_u32_e32 vcc_lo, v4, v5
  v_cndmask_b32_e32 v8, 7, v6, vcc_lo
  global_store_b32 v2, v8, s[2:3] offset:76
  v_fma_f32 v8, -v4, |v5|, v6
  global_store_b32 v2, v8, s[2:3] offset:80
  v_mul_f32_e64 v8, v4, v5 clamp
  global_store_b32 v2, v8, s[2:3] offset:84
  v_add_f32_e64 v8, v4, v5 mul:2
  global_store_b32 v2, v8, s[2:3] offset:88
  v_rcp_f32 v8, v4
  global_store_b32 v2, v8, s[2:3] offset:92
  v_sqrt_f32_e64 v8, |v4|
  global_store_b32 v2, v8, s[2:3] offset:96
  v_cvt_i32_f32 v8, v4
  global_store_b32 v2, v8, s[2:3] offset:100
  v_cvt_f32_u32 v8, v7
  global_store_b32 v2, v8, s[2:3] offset:104
  v_floor_f32 v8, v4
  global_store_b32 v2, v8, s[2:3] offset:108
  v_fract_f32 v8, v4
  global_store_b32 v2, v8, s[2:3] offset:112
  v_ldexp_f32 v8, v4, 3
  global_store_b32 v2, v8, s[2:3] offset:116
  v_med3_f32 v8, v4, v5, v6
  global_store_b32 v2, v8, s[2:3] offset:120
  v_max3_i32 v8, v4, v5, v6
  global_store_b32 v2, v8, s[2:3] offset:124
  v_not_b32 v8, v4
  global_store_b32 v2, v8, s[2:3] offset:128
  v_bfrev_b32 v8, v4
  global_store_b32 v2, v8, s[2:3] offset:132
  v_clz_i32_u32 v8, v5
  global_store_b32 v2, v8, s[2:3] offset:136
  v_mad_u64_u32 v[8:9], null, v4, v5, v[6:7]
  global_store_b64 v2, v[8:9], s[2:3] offset:140
  v_add_co_u32 v8, vcc_lo, v4, v5
  v_add_co_ci_u32_e32 v9, vcc_lo, v6, v7, vcc_lo
  global_store_b64 v2, v[8:9], s[2:3] offset:148
  v_lshlrev_b64 v[8:9], 5, v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:156
  v_dual_mul_f32 v8, v4, v5 :: v_dual_add_nc_u32 v9, v6, v7
  global_store_b64 v2, v[8:9], s[2:3] offset:164
  v_mov_b32 v8, v6
  v_dual_fmac_f32 v8, v4, v5 :: v_dual_mov_b32 v9, 2.0
  global_store_b64 v2, v[8:9], s[2:3] offset:172
  v_pk_add_u16 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:180
  v_pk_max_i16 v8, v4, v5
  global_store_b32 v2, v8, s[2:3] offset:184
  v_mbcnt_lo_u32_b32 v8, -1, 0
  global_store_b32 v2, v8, s[2:3] offset:188
  v_sub_co_u32 v8, s5, v4, v5
  v_cndmask_b32_e64 v9, 0, 1, s5
  global_store_b64 v2, v[8:9], s[2:3] offset:192
  v_cvt_f16_f32 v8, v4
  v_cvt_f32_f16 v8, v8
  global_store_b32 v2, v8, s[2:3] offset:200
  v_cmp_class_f32_e64 s6, v4, 0x3fc
  v_cndmask_b32_e64 v8, 0, 1, s6
  global_store_b32 v2, v8, s[2:3] offset:204
  v_div_fixup_f32 v8, v6, v5, v4
  global_store_b32 v2, v8, s[2:3] offset:208
  v_add_f32 v8, 0.5, v4
  global_store_b32 v2, v8, s[2:3] offset:212
  v_mul_f32 v8, 0x40490fdb, v4
  global_store_b32 v2, v8, s[2:3] offset:216
  v_dual_fmaak_f32 v8, v4, v5, 0x3f000000 :: v_dual_sub_f32 v9, v6, v7
  global_store_b64 v2, v[8:9], s[2:3] offset:220
  // VOP3 output modifiers (omod) with neg/abs; out[57] stays poisoned.
  v_mul_f32_e64 v8, v4, v5 mul:4
  global_store_b32 v2, v8, s[2:3] offset:232
  v_fma_f32 v8, v4, -v5, |v6| div:2
  global_store_b32 v2, v8, s[2:3] offset:236
  s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)
  s_endpgm
