#!/usr/bin/env python3
"""Generates sim/isa_table.inc: the gfx11 (gfx1100) opcode -> mnemonic/operand-width table.

LLVM is the oracle for encodings: every opcode of every encoding the shader core decodes is
probed through `llvm-mc-19 --disassemble -mcpu=gfx1100` with fixed register operands, and the
mnemonic plus operand register widths are read back from the disassembly.
Run: python3 sim/isa_table_gen.py > sim/isa_table.inc
"""
import re
import subprocess
import sys

MC = "llvm-mc-19"

def dw(x):
    return [(x >> (8 * i)) & 0xFF for i in range(4)]

probes = []  # (enc, op, [candidate byte lists]): the first candidate that decodes wins

def add(enc, op, *variants):
    cands = []
    for v in variants:
        k, words = v if isinstance(v, tuple) else (0, v)
        b = []
        for w in words:
            b += dw(w)
        cands.append((k, b))
    probes.append((enc, op, cands))

def combos(base, fields):
    """base words plus every subset of `fields` (word index, mask) cleared, most-set first."""
    out = []
    n = len(fields)
    for k in range(1 << n):
        ws = list(base)
        for i, (wi, mask) in enumerate(fields):
            if k >> i & 1:
                ws[wi] &= ~mask
        out.append((bin(k).count("1"), k, ws))
    out.sort(key=lambda t: t[0])
    return [(k, ws) for _, k, ws in out]

LIT = 0x3F800000
for op in range(96):  # SOP2: 10 op:7 sdst:7 ssrc1:8 ssrc0:8
    add("SOP2", op, *combos([0x80000000 | op << 23 | 10 << 16 | 4 << 8 | 2], [(0, 0x7F << 16)]))
for op in range(29):  # SOPK: 1011 op:5 sdst:7 simm16
    add("SOPK", op, *combos([0xB0000000 | op << 23 | 10 << 16 | 0x0003, LIT], [(0, 0x7F << 16)]))
for op in range(256):  # SOP1
    add("SOP1", op, *combos([0xBE800000 | 10 << 16 | op << 8 | 2], [(0, 0x7F << 16), (0, 0xFF)]))
for op in range(128):  # SOPC
    add("SOPC", op, [0xBF000000 | op << 16 | 4 << 8 | 2])
for op in range(128):  # SOPP
    add("SOPP", op, *combos([0xBF800000 | op << 16 | 3], [(0, 0xFFFF)]))
for op in range(256):  # SMEM: 111101 op:8 ... sdata[12:6] sbase[5:0]; offset[20:0] soffset[31:25]
    add("SMEM", op, *combos([0xF4000000 | op << 18 | 8 << 6 | 1, 124 << 25 | 0x10], [(0, 0x7F << 6), (0, 0x3F)]))
for op in range(62):  # VOP2: 0 op:6 vdst:8 vsrc1:8 src0:9
    add("VOP2", op, [op << 25 | 10 << 17 | 4 << 9 | 258, LIT])
for op in range(256):  # VOP1: 0111111 vdst:8 op:8 src0:9
    add("VOP1", op, *combos([0x7E000000 | 10 << 17 | op << 9 | 258], [(0, 0xFF << 17), (0, 0x1FF)]))
for op in range(256):  # VOPC: 0111110 op:8 vsrc1:8 src0:9
    add("VOPC", op, [0x7C000000 | op << 17 | 4 << 9 | 258])
for op in range(1024):  # VOP3: 110101 op:10 ... vdst:8; src0/1/2
    fields = [(1, 0x1FF << 18), (1, 0x1FF << 9), (1, 0x1FF), (0, 0xFF)]
    add("VOP3", op, *(combos([0xD4000000 | op << 16 | 10, 262 << 18 | 260 << 9 | 258], fields) +
                      combos([0xD4000000 | op << 16 | 126, 262 << 18 | 260 << 9 | 258], fields)))
for op in range(128):  # VOP3P: 11001100 op:7 ...; op_sel_hi default 1,1 (bits 28:27 and 14)
    add("VOP3P", op, *combos([0xCC000000 | op << 16 | 1 << 14 | 10, 3 << 27 | 262 << 18 | 260 << 9 | 258],
                             [(1, 0x1FF << 18), (0, 1 << 14)]))
for op in range(16):  # VOPD X (Y = v_dual_mov_b32)
    add("VOPDX", op, *combos([0xC8000000 | op << 22 | 8 << 17 | 4 << 9 | 258, 10 << 24 | (5 << 17) | 262, LIT], [(0, 0xFF << 9)]))
for op in range(32):  # VOPD Y (X = v_dual_mov_b32)
    add("VOPDY", op, *combos([0xC8000000 | 8 << 22 | op << 17 | 258, 10 << 24 | (5 << 17) | 8 << 9 | 262, LIT], [(1, 0xFF << 9)]))
for op in range(256):  # DS: 110110 op:8 gds offset1 offset0; vdst data1 data0 addr
    add("DS", op, *combos([0xD8000000 | op << 18, 10 << 24 | 4 << 16 | 2 << 8 | 6],
                          [(1, 0xFF << 24), (1, 0xFF << 16), (1, 0xFF << 8), (1, 0xFF)]))
for seg, name in ((0, "FLAT"), (1, "SCRATCH"), (2, "GLOBAL")):
    for op in range(128):  # 110111 op:7(24:18) seg:2(17:16); vdst sve saddr data addr
        add(name, op, *combos([0xDC000000 | op << 18 | seg << 16, 10 << 24 | 124 << 16 | 2 << 8 | 6],
                              [(1, 0xFF << 24), (1, 0xFF << 8), (1, 0xFF)]))
for op in range(128):  # MUBUF 111000 op:8(25:18)
    add("MUBUF", op, *combos([0xE0000000 | op << 18, 0x80000000 | 2 << 8 | 6], [(1, 0xFFFFFFFF)]))

allc = [c for _, _, cs in probes for _, c in cs]
text = "\n".join(",".join("0x%02x" % x for x in b) for b in allc) + "\n"
out = subprocess.run([MC, "--disassemble", "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx1100", "-show-encoding"],
                     input=text, capture_output=True, text=True).stdout
decoded = {}
for line in out.splitlines():
    m = re.match(r"\s+(\S+)(.*?)\s*; encoding: \[(.*)\]", line)
    if not m:
        continue
    b = tuple(int(x, 16) for x in m.group(3).split(","))
    decoded.setdefault(b, (m.group(1), m.group(2).strip()))

def width(tok):
    m = re.match(r"[vs]\[(\d+):(\d+)\]", tok)
    if m:
        return int(m.group(2)) - int(m.group(1)) + 1
    if re.match(r"vcc$|exec$", tok):
        return 2
    return 1

rows = []
for enc, op, cands in probes:
    hit = None
    for cleared, c in cands:
        for n in (4, 8, 12):
            if tuple(c[:n]) in decoded and len(c) >= n:
                hit = decoded[tuple(c[:n])]
                break
        if hit:
            break
    if not hit:
        continue
    name, ops = hit
    if enc == "VOPDY":
        parts = ops.split("::")
        if len(parts) < 2:
            continue
        y = parts[1].strip().split(None, 1)
        name, ops = y[0], (y[1] if len(y) > 1 else "")
    else:
        ops = ops.split("::")[0]
    toks = [t.strip() for t in re.split(r",\s*(?![^\[]*\])", ops) if t.strip()] if ops else []
    ws = []
    for t in toks:
        t = t.split()[0]
        ws.append(width(t) if re.match(r"[vs]\[|[vs]\d|vcc|exec|null|off", t) else 0)
    rows.append((enc, op, name, cleared, ws))

print("// Generated by sim/isa_table_gen.py from llvm-mc-19 (gfx1100); do not edit.")
print("// {encoding, opcode, mnemonic, fields that had to be zero (bit i: i-th optional field of the")
print("//  encoding's probe, see the generator), printed operand register widths in dwords (0: not a register)}")
for enc, op, name, cleared, ws in rows:
    w = ",".join(str(x) for x in ws[:6])
    print('{Enc::%s, %d, "%s", %d, %d, {%s}},' % (enc, op, name, cleared, len(ws), w))
