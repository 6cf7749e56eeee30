import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * What the dynamic loader reads from a shared object or executable: its
 * dependencies, search paths and symbol versions, taken from the dynamic
 * segment (`PT_DYNAMIC`) exactly as ld.so does, so section headers (which
 * `strip` may drop) are never needed. ELF32 and ELF64, either byte order.
 */
export interface ElfVersions {
  /** 32 or 64. */
  readonly bits: 32 | 64;
  /** `e_machine` (62: x86-64). */
  readonly machine: number;
  /** False for a static executable: no dynamic segment, so nothing to load or check. */
  readonly dynamic: boolean;
  readonly soname?: string;
  /** `DT_NEEDED`, in order. */
  readonly needed: readonly string[];
  /** `DT_RPATH` and `DT_RUNPATH`, unexpanded (`$ORIGIN` kept). */
  readonly rpath?: string;
  readonly runpath?: string;
  /** `DT_VERNEED`: per library file, the versions this object's symbols are bound to. */
  readonly needs: readonly VersionNeed[];
  /** `DT_VERDEF` without the base entry (the file's own name): the versions this object provides. */
  readonly provides: readonly string[];
  /** Whether it has a `DT_VERDEF` at all; the loader only warns when an unversioned library is asked for versions. */
  readonly versioned: boolean;
}

export interface VersionNeed {
  readonly file: string;
  readonly versions: ReadonlyArray<{ readonly name: string; readonly weak: boolean }>;
}

/** The file is not an ELF object, or is one the loader would refuse to read. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

/** Random access to a file's bytes; `read` throws ElfError past the end. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buf.length,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > buf.length) throw truncated(offset, length, buf.length);
      return buf.subarray(offset, offset + length);
    },
  };
}

function truncated(offset: number, length: number, size: number): ElfError {
  return new ElfError(`truncated: needs bytes ${offset}..${offset + length} of a ${size}-byte file`);
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, SONAME: 14, RPATH: 15, RUNPATH: 29 } as const;
const DT_VERDEF = 0x6ffffffc;
const DT_VERDEFNUM = 0x6ffffffd;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;
const VER_FLG_BASE = 1;
const VER_FLG_WEAK = 2;
/** No real object comes near these; they only stop a corrupt file from looping or allocating without end. */
const MAX_ENTRIES = 1 << 16;
const MAX_STRTAB = 64 << 20;

/** Fixed-width reads in the file's byte order and class. */
class Fields {
  constructor(
    private readonly source: ByteSource,
    private readonly little: boolean,
    readonly bits: 32 | 64,
  ) {}

  u16(offset: number): number {
    const b = this.source.read(offset, 2);
    return this.little ? b.readUInt16LE(0) : b.readUInt16BE(0);
  }

  u32(offset: number): number {
    const b = this.source.read(offset, 4);
    return this.little ? b.readUInt32LE(0) : b.readUInt32BE(0);
  }

  /** An address, offset or size: 4 bytes in ELF32, 8 in ELF64. */
  word(offset: number): number {
    if (this.bits === 32) return this.u32(offset);
    const b = this.source.read(offset, 8);
    const v = this.little ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`value 0x${v.toString(16)} at offset ${offset} is out of range`);
    return Number(v);
  }

  get wordSize(): number {
    return this.bits / 8;
  }

  /** A dynamic entry's tag: signed in ELF64; every tag that matters is a small positive number, anything else -1. */
  tag(offset: number): number {
    if (this.bits === 32) return this.u32(offset);
    const b = this.source.read(offset, 8);
    const v = this.little ? b.readBigInt64LE(0) : b.readBigInt64BE(0);
    return v >= 0n && v <= 0xffffffffn ? Number(v) : -1;
  }
}

interface Segment {
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
}

/** Reads the loader's view of an ELF file already opened as bytes. */
export function parseElfVersions(source: ByteSource): ElfVersions {
  const magic = source.read(0, Math.min(4, source.size));
  if (magic.length < 4 || magic[0] !== 0x7f || magic[1] !== 0x45 || magic[2] !== 0x4c || magic[3] !== 0x46) {
    throw new ElfError('not an ELF file: no \\x7fELF magic');
  }
  if (source.size < 52) throw new ElfError(`truncated: ${source.size} bytes cannot hold an ELF header`);
  const ident = source.read(0, 16);
  const bits = ident[4] === 1 ? 32 : ident[4] === 2 ? 64 : undefined;
  if (bits === undefined) throw new ElfError(`unknown ELF class ${ident[4]}`);
  if (ident[5] !== 1 && ident[5] !== 2) throw new ElfError(`unknown ELF byte order ${ident[5]}`);
  const f = new Fields(source, ident[5] === 1, bits);
  const machine = f.u16(18);
  const w = f.wordSize;
  const phoff = f.word(24 + w);
  const phentsize = f.u16(bits === 64 ? 54 : 42);
  const phnum = f.u16(bits === 64 ? 56 : 44);
  if (phnum > 0 && phentsize < (bits === 64 ? 56 : 32)) throw new ElfError(`program header entries of ${phentsize} bytes are too small`);

  const loads: Segment[] = [];
  let dynamic: Segment | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const type = f.u32(at);
    if (type !== PT_LOAD && type !== PT_DYNAMIC) continue;
    const seg: Segment =
      bits === 64
        ? { offset: f.word(at + 8), vaddr: f.word(at + 16), filesz: f.word(at + 32) }
        : { offset: f.u32(at + 4), vaddr: f.u32(at + 8), filesz: f.u32(at + 16) };
    if (type === PT_LOAD) loads.push(seg);
    else dynamic = seg;
  }
  const empty = { bits, machine, needed: [], needs: [], provides: [], versioned: false } as const;
  if (dynamic === undefined) return { ...empty, dynamic: false };

  // The dynamic array: (tag, value) pairs up to DT_NULL.
  const entries: Array<[number, number]> = [];
  const entrySize = 2 * w;
  for (let i = 0; i * entrySize + entrySize <= dynamic.filesz; i++) {
    if (i >= MAX_ENTRIES) throw new ElfError('dynamic segment has no end (DT_NULL)');
    const at = dynamic.offset + i * entrySize;
    const tag = f.tag(at);
    if (tag === DT.NULL) break;
    entries.push([tag, f.word(at + w)]);
  }
  const first = (tag: number): number | undefined => entries.find(([t]) => t === tag)?.[1];
  const all = (tag: number): number[] => entries.filter(([t]) => t === tag).map(([, v]) => v);

  /** File offset of a virtual address, through the PT_LOAD segment holding it. */
  const fileOffset = (vaddr: number, what: string): number => {
    const seg = loads.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
    if (seg === undefined) throw new ElfError(`${what} at address 0x${vaddr.toString(16)} is outside every loaded segment`);
    return seg.offset + (vaddr - seg.vaddr);
  };

  const strtabAddr = first(DT.STRTAB);
  const strsz = first(DT.STRSZ);
  let strtab: Buffer | undefined;
  if (strtabAddr !== undefined) {
    if (strsz === undefined || strsz > MAX_STRTAB) throw new ElfError(`dynamic string table size ${strsz ?? 'missing'} is not usable`);
    strtab = source.read(fileOffset(strtabAddr, 'the dynamic string table'), strsz);
  }
  const str = (offset: number, what: string): string => {
    if (strtab === undefined) throw new ElfError(`${what} refers to a string, but there is no DT_STRTAB`);
    if (offset >= strtab.length) throw new ElfError(`${what}: string offset ${offset} is past the string table (${strtab.length} bytes)`);
    const end = strtab.indexOf(0, offset);
    if (end === -1) throw new ElfError(`${what}: string at ${offset} is not terminated`);
    return strtab.toString('latin1', offset, end);
  };
  const optionalStr = (tag: number, what: string): string | undefined => {
    const v = first(tag);
    return v === undefined ? undefined : str(v, what);
  };

  const needs: VersionNeed[] = [];
  const verneed = first(DT_VERNEED);
  if (verneed !== undefined) {
    const count = countOf(first(DT_VERNEEDNUM), 'DT_VERNEEDNUM');
    let at = fileOffset(verneed, 'DT_VERNEED');
    let total = 0;
    for (let i = 0; i < count; i++) {
      if (f.u16(at) !== 1) throw new ElfError(`version need ${i}: unknown structure version ${f.u16(at)}`);
      const cnt = f.u16(at + 2);
      const file = str(f.u32(at + 4), `version need ${i}`);
      const versions: Array<{ name: string; weak: boolean }> = [];
      let aux = at + f.u32(at + 8);
      total += cnt;
      if (total > MAX_ENTRIES) throw new ElfError(`version needs hold more than ${MAX_ENTRIES} entries`);
      for (let j = 0; j < cnt; j++) {
        versions.push({ name: str(f.u32(aux + 8), `version need ${i} (${file}) entry ${j}`), weak: (f.u16(aux + 4) & VER_FLG_WEAK) !== 0 });
        const next = f.u32(aux + 12);
        if (next === 0) break;
        aux += next;
      }
      needs.push({ file, versions });
      const next = f.u32(at + 12);
      if (next === 0) break;
      at += next;
    }
  }

  const provides: string[] = [];
  const verdef = first(DT_VERDEF);
  if (verdef !== undefined) {
    const count = countOf(first(DT_VERDEFNUM), 'DT_VERDEFNUM');
    let at = fileOffset(verdef, 'DT_VERDEF');
    for (let i = 0; i < count; i++) {
      if (f.u16(at) !== 1) throw new ElfError(`version definition ${i}: unknown structure version ${f.u16(at)}`);
      const flags = f.u16(at + 2);
      // The first auxiliary entry names the version; the others name its parents.
      const name = str(f.u32(at + f.u32(at + 12)), `version definition ${i}`);
      if ((flags & VER_FLG_BASE) === 0) provides.push(name);
      const next = f.u32(at + 16);
      if (next === 0) break;
      at += next;
    }
  }

  const soname = optionalStr(DT.SONAME, 'DT_SONAME');
  const rpath = optionalStr(DT.RPATH, 'DT_RPATH');
  const runpath = optionalStr(DT.RUNPATH, 'DT_RUNPATH');
  return {
    ...empty,
    dynamic: true,
    ...(soname !== undefined && { soname }),
    needed: all(DT.NEEDED).map((v) => str(v, 'DT_NEEDED')),
    ...(rpath !== undefined && { rpath }),
    ...(runpath !== undefined && { runpath }),
    needs,
    provides,
    versioned: verdef !== undefined,
  };
}

function countOf(value: number | undefined, what: string): number {
  if (value === undefined) throw new ElfError(`${what} is missing`);
  if (value > MAX_ENTRIES) throw new ElfError(`${what} ${value} is not believable`);
  return value;
}

/** Reads a file's ELF dynamic information; ElfError names the file and what is wrong with it. */
export function readElfVersions(file: string): ElfVersions {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new ElfError(`${file}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const source: ByteSource = {
      size,
      read(offset, length) {
        if (offset < 0 || length < 0 || offset + length > size) throw truncated(offset, length, size);
        const buf = Buffer.alloc(length);
        let done = 0;
        while (done < length) {
          const n = readSync(fd, buf, done, length - done, offset + done);
          if (n === 0) throw truncated(offset, length, size);
          done += n;
        }
        return buf;
      },
    };
    return parseElfVersions(source);
  } catch (e) {
    if (e instanceof ElfError) throw new ElfError(`${file}: ${e.message}`);
    throw new ElfError(`${file}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
