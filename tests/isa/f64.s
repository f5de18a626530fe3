// f64 arithmetic and conversions: per lane, doubles a = in[lane*2], b = in[lane*2+1];
// result j (dword slots) at out[lane*64 + j]. User SGPRs: s[0:1] = in, s[2:3] = out.
.text
.globl f64
f64:
  v_lshlrev_b32 v1, 4, v0
  global_load_b128 v[4:7], v1, s[0:1]
  v_lshlrev_b32 v2, 8, v0
  s_waitcnt vmcnt(0)
  v_add_f64 v[8:9], v[4:5], v[6:7]
  global_store_b64 v2, v[8:9], s[2:3] offset:0
  v_mul_f64 v[8:9], v[4:5], v[6:7]
  global_store_b64 v2, v[8:9], s[2:3] offset:8
  v_fma_f64 v[8:9], v[4:5], v[6:7], v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:16
  v_max_f64 v[8:9], v[4:5], v[6:7]
  global_store_b64 v2, v[8:9], s[2:3] offset:24
  v_rcp_f64 v[8:9], v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:32
  v_cvt_f32_f64 v8, v[4:5]
  global_store_b32 v2, v8, s[2:3] offset:40
  v_cvt_i32_f64 v8, v[4:5]
  global_store_b32 v2, v8, s[2:3] offset:44
  v_cvt_f64_i32 v[8:9], v8
  global_store_b64 v2, v[8:9], s[2:3] offset:48
  v_floor_f64 v[8:9], v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:56
  v_ldexp_f64 v[8:9], v[4:5], 7
  global_store_b64 v2, v[8:9], s[2:3] offset:64
  v_cmp_lt_f64_e32 vcc_lo, v[4:5], v[6:7]
  v_cndmask_b32_e64 v8, 0, 1, vcc_lo
  global_store_b32 v2, v8, s[2:3] offset:72
  v_frexp_mant_f64 v[8:9], v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:76
  v_frexp_exp_i32_f64 v8, v[4:5]
  global_store_b32 v2, v8, s[2:3] offset:84
  v_trunc_f64 v[8:9], v[6:7]
  global_store_b64 v2, v[8:9], s[2:3] offset:88
  v_fract_f64 v[8:9], v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:96
  v_sqrt_f64_e64 v[8:9], |v[4:5]|
  global_store_b64 v2, v[8:9], s[2:3] offset:104
  v_add_f64 v[8:9], -v[4:5], 1.0
  global_store_b64 v2, v[8:9], s[2:3] offset:112
  v_mul_f64 v[8:9], v[4:5], 0x40080000
  global_store_b64 v2, v[8:9], s[2:3] offset:120
  v_cvt_f64_f32 v[8:9], v4
  global_store_b64 v2, v[8:9], s[2:3] offset:128
  v_cvt_u32_f64 v8, v[6:7]
  global_store_b32 v2, v8, s[2:3] offset:136
  v_div_scale_f64 v[8:9], s4, v[6:7], v[6:7], v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:140
  v_div_fixup_f64 v[8:9], v[4:5], v[6:7], v[4:5]
  global_store_b64 v2, v[8:9], s[2:3] offset:148
  v_cmp_class_f64_e64 s5, v[4:5], 0x60
  v_cndmask_b32_e64 v8, 0, 1, s5
  global_store_b32 v2, v8, s[2:3] offset:156
  s_endpgm
