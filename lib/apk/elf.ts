/**
 * The few facts of an ELF file the dependency analysis needs: the program
 * interpreter, DT_NEEDED and DT_SONAME. Read from the section table as Go's
 * debug/elf does (melange's reference). No maintained npm package parses
 * ELF dynamic sections, so this small reader is our own.
 */

/** What an ELF file asks of the system. */
export interface ElfInfo {
  /** PT_INTERP, e.g. `/lib/ld-linux-x86-64.so.2`. */
  interpreter?: string;
  /** DT_NEEDED entries. */
  needed: string[];
  /** DT_SONAME entries. */
  soname: string[];
}

const PT_INTERP = 3;
const SHT_DYNAMIC = 6;
const DT_NEEDED = 1;
const DT_SONAME = 14;

/** True when `b` starts with the ELF magic. */
export function isElf(b: Uint8Array): boolean {
  return b.length >= 16 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Parses `b`; undefined when it is not a well-formed ELF file. */
export function readElf(b: Uint8Array): ElfInfo | undefined {
  if (!isElf(b)) return undefined;
  try {
    return parse(b);
  } catch {
    return undefined; // truncated or corrupt: not something the analysis can use
  }
}

function parse(b: Uint8Array): ElfInfo {
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (o: number) => dv.getUint16(o, le);
  const u32 = (o: number) => dv.getUint32(o, le);
  const addr = (o: number) => (is64 ? Number(dv.getBigUint64(o, le)) : u32(o));
  const phoff = addr(is64 ? 0x20 : 0x1c);
  const shoff = addr(is64 ? 0x28 : 0x20);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const info: ElfInfo = { needed: [], soname: [] };
  const cstr = (o: number, end = b.length) => {
    let e = o;
    while (e < end && b[e] !== 0) e++;
    return new TextDecoder().decode(b.subarray(o, e));
  };

  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (u32(p) !== PT_INTERP) continue;
    const off = addr(p + (is64 ? 8 : 4));
    const size = addr(p + (is64 ? 32 : 16));
    info.interpreter = cstr(off, Math.min(off + size, b.length)).replace(/\0+$/, "");
  }

  const section = (i: number) => {
    const s = shoff + i * shentsize;
    return {
      type: u32(s + 4),
      offset: addr(s + (is64 ? 0x18 : 0x10)),
      size: addr(s + (is64 ? 0x20 : 0x14)),
      link: u32(s + (is64 ? 0x28 : 0x18)),
    };
  };
  for (let i = 0; i < shnum; i++) {
    const dyn = section(i);
    if (dyn.type !== SHT_DYNAMIC) continue;
    const strtab = section(dyn.link);
    const entSize = is64 ? 16 : 8;
    for (let o = dyn.offset; o + entSize <= dyn.offset + dyn.size; o += entSize) {
      const tag = is64 ? Number(dv.getBigInt64(o, le)) : dv.getInt32(o, le);
      if (tag === 0) break;
      if (tag !== DT_NEEDED && tag !== DT_SONAME) continue;
      const val = is64 ? Number(dv.getBigUint64(o + 8, le)) : u32(o + 4);
      const name = cstr(strtab.offset + val, strtab.offset + strtab.size);
      (tag === DT_NEEDED ? info.needed : info.soname).push(name);
    }
  }
  return info;
}
