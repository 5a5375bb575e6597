/**
 * gRPC service definitions built from the protobuf root, for @grpc/grpc-js
 * clients and servers. Messages cross as plain objects (protobufjs
 * `toObject` with int64 as numbers), except where a caller asks for raw bytes.
 */
import type * as grpc from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { Buffer } from "node:buffer";
import { root } from "./proto.ts";

/** How messages of a method are turned into bytes and back. */
export interface Codec<T> {
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

const OBJECT = { longs: Number, enums: Number, bytes: Buffer, defaults: false } as const;

/** A codec of plain objects for a message type. */
export function objectCodec(t: protobuf.Type): Codec<Record<string, any>> {
  return {
    encode: (v) => Buffer.from(t.encode(t.fromObject(v)).finish()),
    decode: (b) => t.toObject(t.decode(b), OBJECT),
  };
}

/** A codec that passes bytes through, for streams carrying more than one message type. */
export const rawCodec: Codec<Buffer> = { encode: (b) => b, decode: (b) => b };

/** A grpc-js service definition for `service` (e.g. "moby.buildkit.v1.Control"). */
export function serviceDefinition(
  service: string,
  overrides: Record<string, { request?: Codec<any>; response?: Codec<any> }> = {},
): grpc.ServiceDefinition {
  const svc = root.lookupService(service);
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of svc.methodsArray) {
    m.resolve();
    const req = overrides[m.name]?.request ?? objectCodec(m.resolvedRequestType!);
    const res = overrides[m.name]?.response ?? objectCodec(m.resolvedResponseType!);
    def[m.name] = {
      path: `/${service}/${m.name}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: req.encode,
      requestDeserialize: req.decode,
      responseSerialize: res.encode,
      responseDeserialize: res.decode,
    };
  }
  return def;
}

/** The bytes before `size` bytes of data in an encoded BytesMessage ({ data: bytes = 1 }). */
export function bytesMessageHeader(size: number): Buffer {
  return Buffer.concat([Buffer.from([0x0a]), varint(size)]);
}

/**
 * BytesMessage ({ data: bytes = 1 }) framed by hand: the session stream
 * carries every transferred byte, so it skips protobufjs' object copies.
 */
export const bytesMessageCodec: Codec<{ data?: Buffer }> = {
  encode: ({ data }) => {
    if (!data?.length) return Buffer.alloc(0);
    return Buffer.concat([bytesMessageHeader(data.length), data]);
  },
  decode: (b) => {
    if (b.length === 0) return {};
    if (b[0] !== 0x0a) {
      return { data: Buffer.from(objectCodec(BYTES_MESSAGE()).decode(b).data ?? []) };
    }
    let len = 0, shift = 0, i = 1;
    for (; i < b.length; i++) {
      len += (b[i] & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b[i] & 0x80)) break;
    }
    const start = i + 1;
    if (start + len !== b.length) {
      return { data: Buffer.from(objectCodec(BYTES_MESSAGE()).decode(b).data ?? []) };
    }
    return { data: b.subarray(start, start + len) };
  },
};

const BYTES_MESSAGE = () => root.lookupType("moby.buildkit.v1.BytesMessage");

/** A protobuf varint. */
export function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
