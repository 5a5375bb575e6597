/**
 * The LLB protobuf types, loaded from proto/ at module load. The .proto text
 * is imported as text so that `deno compile` and `deno bundle` carry it.
 */
import protobuf from "protobufjs";
import opsProto from "../../proto/github.com/moby/buildkit/solver/pb/ops.proto" with {
  type: "text",
};

const root = protobuf.parse(opsProto, { keepCase: true }).root;

/** The `pb.Op` message type. */
export const OpType: protobuf.Type = root.lookupType("pb.Op");
/** The `pb.Definition` message type. */
export const DefinitionType: protobuf.Type = root.lookupType("pb.Definition");
/** The `pb.OpMetadata` message type. */
export const OpMetadataType: protobuf.Type = root.lookupType("pb.OpMetadata");

/** The protobuf root holding every `pb.*` type, for other protocol files to import. */
export const llbRoot: protobuf.Root = root;
