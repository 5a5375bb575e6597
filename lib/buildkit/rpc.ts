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
