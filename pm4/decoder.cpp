#include "pm4/decoder.h"

#include <array>
#include <cstdio>

namespace spork::pm4 {
namespace {

std::string strf(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// Set one-bit fields by name, wider non-zero fields as NAME=value.
std::string flags(const RegisterInfo& reg, uint32_t v) {
  std::string s;
  for (const FieldInfo& f : reg.fields) {
    const uint32_t x = f.get(v);
    if (!x) continue;
    if (!s.empty()) s += ' ';
    s += f.width() == 1 ? std::string(f.name) : strf("%s=%u", f.name, x);
  }
  return s.empty() ? "0" : s;
}

const std::vector<const PacketField*>& fields_of(uint8_t opcode) {
  static const auto table = [] {
    std::array<std::vector<const PacketField*>, 256> t;
    for (const PacketField& f : packet_fields()) t[uint8_t(f.opcode)].push_back(&f);
    return t;
  }();
  return table[opcode];
}

uint64_t addr64(std::span<const uint32_t> p, size_t lo) { return uint64_t(p[lo]) | (uint64_t(p[lo + 1]) << 32); }

// Expected payload size of the packet kinds whose size is fixed (0 = variable / not checked).
size_t fixed_payload(Opcode op) {
  switch (op) {
    case Opcode::DISPATCH_DIRECT:
      return 4;
    case Opcode::DISPATCH_INDIRECT:
      return 3;
    case Opcode::ACQUIRE_MEM:
      return 7;
    case Opcode::RELEASE_MEM:
      return 7;
    case Opcode::WAIT_REG_MEM:
      return 6;
    case Opcode::COPY_DATA:
      return 5;
    case Opcode::INDIRECT_BUFFER:
      return 3;
    default:
      return 0;
  }
}

void decode_type3(DecodedPacket& d, std::span<const uint32_t> p) {
  const uint8_t opc = d.header.opcode;
  const Opcode op = Opcode(opc);
  if (const size_t want = fixed_payload(op); want && p.size() != want) {
    d.errors.push_back(strf("%s needs %zu payload dwords, has %zu", d.name.c_str(), want, p.size()));
    return;
  }
  for (const PacketField* f : fields_of(opc))
    if (f->dword < p.size()) d.fields.push_back({f->name, f->get(p[f->dword])});

  switch (op) {
    case Opcode::SET_SH_REG:
    case Opcode::SET_UCONFIG_REG: {
      const RegSpace space = op == Opcode::SET_SH_REG ? RegSpace::SH : RegSpace::UCONFIG;
      if (p.size() < 2) {
        d.errors.push_back(d.name + " without register values");
        return;
      }
      const uint32_t first = p[0] & 0xFFFF;
      if (p[0] >> 16)
        d.errors.push_back(strf("%s: reserved bits set in the offset dword 0x%08x", d.name.c_str(), p[0]));
      for (size_t i = 1; i < p.size(); ++i) {
        const uint64_t off = uint64_t(first) + (i - 1);
        if (off >= space_dwords(space)) {
          d.errors.push_back(strf("register offset 0x%llx is outside the %s register range (0..0x%x)",
                                  (unsigned long long)off, space_name(space), space_dwords(space) - 1));
          break;
        }
        d.registers.push_back({space, uint32_t(off), p[i], find_register(space, uint32_t(off))});
      }
      break;
    }
    case Opcode::DISPATCH_DIRECT:
      d.summary = strf("%u,%u,%u initiator ", p[0], p[1], p[2]) + flags(COMPUTE_DISPATCH_INITIATOR::info(), p[3]);
      break;
    case Opcode::DISPATCH_INDIRECT:
      d.summary = strf("addr=0x%llx initiator ", (unsigned long long)addr64(p, 0)) +
                  flags(COMPUTE_DISPATCH_INITIATOR::info(), p[2]);
      break;
    case Opcode::ACQUIRE_MEM: {
      std::string g;
      for (const PacketField* f : fields_of(opc))
        if (f->dword == 6 && f->get(p[6])) {
          std::string n = f->name;
          if (n.rfind("GCR_CNTL_", 0) == 0) n = n.substr(9);
          g += (g.empty() ? "" : " ") + n;
        }
      d.summary = "GCR_CNTL " + (g.empty() ? std::string("0") : g) +
                  strf(" size=0x%x_%08x base=0x%x_%08x", p[2], p[1], p[4], p[3]);
      break;
    }
    case Opcode::RELEASE_MEM: {
      namespace F = RELEASE_MEM_;
      const char* ev = event_type_name(F::EVENT_TYPE.get(p[0]));
      static const char* kData[] = {"NONE", "DATA32", "DATA64", "TIMESTAMP", "?4", "GDS", "?6", "?7"};
      const std::string evs = ev ? ev : strf("event 0x%x", F::EVENT_TYPE.get(p[0]));
      d.summary = strf("%s DATA_SEL=%s addr=0x%llx data=0x%llx", evs.c_str(), kData[F::DATA_SEL.get(p[1])],
                       (unsigned long long)addr64(p, 2), (unsigned long long)addr64(p, 4));
      break;
    }
    case Opcode::EVENT_WRITE: {
      const char* ev = event_type_name(EVENT_WRITE_::EVENT_TYPE.get(p[0]));
      d.summary = ev ? ev : strf("event 0x%x", EVENT_WRITE_::EVENT_TYPE.get(p[0]));
      break;
    }
    case Opcode::WRITE_DATA:
      if (p.size() < 4) {
        d.errors.push_back("WRITE_DATA needs control, address and at least one data dword");
        break;
      }
      d.summary = strf("addr=0x%llx %zu dwords", (unsigned long long)addr64(p, 1), p.size() - 3);
      for (size_t i = 3; i < p.size() && i < 3 + 8; ++i) d.summary += strf(" 0x%08x", p[i]);
      if (p.size() > 11) d.summary += " ...";
      break;
    case Opcode::WAIT_REG_MEM: {
      static const char* kFn[] = {"always", "<", "<=", "==", "!=", ">=", ">", "?"};
      d.summary = strf("(*0x%llx & 0x%08x) %s 0x%08x", (unsigned long long)addr64(p, 1), p[4],
                       kFn[WAIT_REG_MEM_::FUNCTION.get(p[0])], p[3]);
      break;
    }
    case Opcode::COPY_DATA:
      d.summary = strf("src_sel=%u src=0x%llx -> dst_sel=%u dst=0x%llx %s", COPY_DATA_::SRC_SEL.get(p[0]),
                       (unsigned long long)addr64(p, 1), COPY_DATA_::DST_SEL.get(p[0]),
                       (unsigned long long)addr64(p, 3), COPY_DATA_::COUNT_SEL.get(p[0]) ? "64-bit" : "32-bit");
      break;
    case Opcode::INDIRECT_BUFFER:
      d.summary = strf("addr=0x%llx size=%u dwords%s", (unsigned long long)addr64(p, 0),
                       INDIRECT_BUFFER_::IB_SIZE.get(p[2]), INDIRECT_BUFFER_::CHAIN.get(p[2]) ? " CHAIN" : "");
      if (p[0] & 3) d.errors.push_back("INDIRECT_BUFFER address is not 4-byte aligned");
      break;
    case Opcode::NOP:
      break;
    default:
      break;
  }
}

}  // namespace

Decoding decode(std::span<const uint32_t> s) {
  Decoding out;
  size_t i = 0;
  while (i < s.size()) {
    const RawPacket raw = next_packet(s, i);
    DecodedPacket d;
    d.offset = i;
    d.header = raw.header;
    if (raw.truncated) {
      d.size_dwords = s.size() - i;
      d.name = raw.header.type == 3 && opcode_name(raw.header.opcode) ? opcode_name(raw.header.opcode)
                                                                      : strf("TYPE%u", raw.header.type);
      d.errors.push_back(strf("header 0x%08x claims %u payload dwords but only %zu remain; decoding stops here",
                              raw.header.raw, raw.header.payload_dwords(), s.size() - i - 1));
      out.error_count += 1;
      out.packets.push_back(std::move(d));
      break;
    }
    d.size_dwords = raw.size_dwords();
    switch (raw.header.type) {
      case 0:
        d.name = "TYPE0";
        d.errors.push_back(strf("type-0 packet (register 0x%04x, %u dwords) does not belong in a compute IB",
                                raw.header.reg, raw.header.payload_dwords()));
        break;
      case 1:
        d.name = "TYPE1";
        d.errors.push_back(strf("type-1 packet header 0x%08x (reserved type)", raw.header.raw));
        break;
      case 2:
        d.name = "TYPE2";
        d.errors.push_back("type-2 filler does not belong in a gfx11 IB (use a type-3 NOP)");
        break;
      default:
        if (const char* n = opcode_name(raw.header.opcode)) {
          d.name = n;
          decode_type3(d, raw.payload);
        } else {
          d.errors.push_back(strf("unknown type-3 opcode 0x%02x (skipping %u dwords by its count)", raw.header.opcode,
                                  raw.header.payload_dwords()));
        }
    }
    out.error_count += d.errors.size();
    i += d.size_dwords;
    out.packets.push_back(std::move(d));
  }
  return out;
}

std::string format(const Decoding& dec) {
  std::string s;
  for (const DecodedPacket& d : dec.packets) {
    s += strf("%06zx  %08x  %-18s", d.offset, d.header.raw, d.name.empty() ? "?" : d.name.c_str());
    if (d.header.type == 3 && !d.name.empty()) s += strf(" [%zu dw]", d.size_dwords);
    if (!d.summary.empty()) s += "  " + d.summary;
    s += '\n';
    for (const DecodedRegister& r : d.registers) {
      if (r.info) {
        // A register that is one plain value (DATA, SIZE, ...) needs no field breakdown.
        const bool plain = r.info->fields.size() == 1 && r.info->fields[0].lo == 0;
        s += strf("          %-34s = 0x%08x", r.info->name, r.value);
        s += plain ? std::string() : "  " + format_fields(*r.info, r.value);
        s += "\n";
      } else
        s += strf("          %s[0x%03x] (0x%05x)%*s = 0x%08x\n", space_name(r.space), r.offset, r.byte_address(),
                  r.space == RegSpace::SH ? 12 : 7, "", r.value);
    }
    const bool show_fields = d.registers.empty() && d.name != "NOP" && !d.fields.empty();
    if (show_fields) {
      std::string line = "          ";
      for (const DecodedField& f : d.fields) {
        if (f.value == 0) continue;  // the summary line carries the essentials; list what is set
        std::string item = f.value < 10 ? strf("%s=%llu", f.name.c_str(), (unsigned long long)f.value)
                                        : strf("%s=0x%llx", f.name.c_str(), (unsigned long long)f.value);
        if (line.size() + item.size() > 118) {
          s += line + "\n";
          line = "          ";
        }
        line += item + " ";
      }
      if (line.size() > 10) s += line + "\n";
    }
    for (const std::string& e : d.errors) s += strf("  error at dword %zu: ", d.offset) + e + "\n";
  }
  if (dec.error_count) s += strf("%zu error(s)\n", dec.error_count);
  return s;
}

}  // namespace spork::pm4
