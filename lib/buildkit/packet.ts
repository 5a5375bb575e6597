/**
 * fsutil's Packet on the wire. Every transferred byte passes through here,
 * so file data is read straight into the encoded message (protobufjs writes
 * the fields before it) and decoded data stays a view of the received
 * message.
 */
import { Buffer } from "node:buffer";
import { type } from "./proto.ts";

/** fsutil packet types. */
export const PacketType = { STAT: 0, REQ: 1, DATA: 2, FIN: 3, ERR: 4 } as const;

/** fsutil's Stat as a plain object. */
export interface Stat {
  path: string;
  mode: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** Nanoseconds since the epoch: exact, as fsutil sends it (a double would round it). */
  modTime?: bigint;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Uint8Array>;
}

/** fsutil's Packet as a plain object. */
export interface Packet {
  type?: number;
  stat?: Stat | null;
  ID?: number;
  data?: Uint8Array;
}

const packetType = type("fsutil.types.Packet");

/** Room kept before file data for the fields that precede it (type, ID, data's tag and length). */
const HEAD = 16;

/** An int64 as protobufjs decodes it (a Long, or a number when small) as a bigint. */
const bigOf = (v: unknown): bigint => {
  if (typeof v === "number") return BigInt(v);
  const l = v as { low: number; high: number };
  return BigInt.asIntN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0));
};

/** The same as a number, for fields that fit a double (sizes, device numbers). */
const num = (v: unknown): number => typeof v === "number" ? v : Number(bigOf(v));

/** A bigint as the Long-shaped value protobufjs encodes int64 fields from. */
const longOf = (v: bigint) => ({
  low: Number(v & 0xffffffffn) | 0,
  high: Number((v >> 32n) & 0xffffffffn) | 0,
  unsigned: false,
});

/** Decodes a packet, keeping `data` a view of `b`. */
export function decodePacket(b: Uint8Array): Packet {
  const m = packetType.decode(b) as unknown as {
    type: number;
    ID: number;
    data: Uint8Array;
    stat?: Record<string, unknown> | null;
  };
  const st = m.stat;
  return {
    type: m.type,
    ID: m.ID,
    data: m.data,
    stat: st
      ? {
        path: st.path as string,
        mode: st.mode as number,
        uid: st.uid as number,
        gid: st.gid as number,
        size: num(st.size),
        modTime: bigOf(st.modTime),
        linkname: st.linkname as string,
        devmajor: num(st.devmajor),
        devminor: num(st.devminor),
        xattrs: Object.keys(st.xattrs as object).length
          ? st.xattrs as Record<string, Uint8Array>
          : undefined,
      }
      : null,
  };
}

/** Encodes a packet. */
export function encodePacket(p: Packet): Buffer {
  const st = p.stat;
  const fields = st?.modTime === undefined
    ? p
    : { ...p, stat: { ...st, modTime: longOf(st.modTime) } };
  const u = packetType.encode(packetType.fromObject(fields as Record<string, unknown>)).finish();
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** A buffer for {@link dataPacket} with room for `max` bytes of data. */
export function packetBuffer(max: number): Buffer {
  return Buffer.allocUnsafe(HEAD + max);
}

/**
 * A DATA packet encoded in `out` (from {@link packetBuffer}) whose contents
 * `fill` writes into place: `fill` gets the view for the data and returns
 * how many bytes it wrote.
 */
export function dataPacket(id: number, out: Buffer, fill: (into: Buffer) => number): Buffer {
  const n = fill(out.subarray(HEAD));
  const head = packetType.encode({ type: PacketType.DATA, ID: id }).uint32((4 << 3) | 2).uint32(n)
    .finish();
  out.set(head, HEAD - head.length);
  return out.subarray(HEAD - head.length, HEAD + n);
}
