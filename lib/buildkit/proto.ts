/**
 * The BuildKit protocol types, parsed once from the .proto files in proto/.
 * The files are imported as text so that compiled binaries carry them.
 */
import protobuf from "protobufjs";
import ops from "../../proto/github.com/moby/buildkit/solver/pb/ops.proto" with { type: "text" };
import control from "../../proto/github.com/moby/buildkit/api/services/control/control.proto" with {
  type: "text",
};
import worker from "../../proto/github.com/moby/buildkit/api/types/worker.proto" with {
  type: "text",
};
import filesync from "../../proto/github.com/moby/buildkit/session/filesync/filesync.proto" with {
  type: "text",
};
import secrets from "../../proto/github.com/moby/buildkit/session/secrets/secrets.proto" with {
  type: "text",
};
import ssh from "../../proto/github.com/moby/buildkit/session/sshforward/ssh.proto" with {
  type: "text",
};
import content from "../../proto/github.com/containerd/containerd/api/services/content/v1/content.proto" with {
  type: "text",
};
import auth from "../../proto/github.com/moby/buildkit/session/auth/auth.proto" with {
  type: "text",
};
import wire from "../../proto/github.com/tonistiigi/fsutil/types/wire.proto" with { type: "text" };
import timestamp from "../../proto/google/protobuf/timestamp.proto" with { type: "text" };
import health from "../../proto/grpc/health/v1/health.proto" with { type: "text" };

/** Every BuildKit type melange2 uses, in one resolved root. */
export const root: protobuf.Root = (() => {
  const r = new protobuf.Root();
  for (
    const text of [
      timestamp,
      ops,
      worker,
      control,
      wire,
      filesync,
      secrets,
      ssh,
      content,
      auth,
      health,
    ]
  ) {
    protobuf.parse(text, r, { keepCase: true });
  }
  r.resolveAll();
  return r;
})();

/** Looks up a message type by its full name. */
export function type(name: string): protobuf.Type {
  return root.lookupType(name);
}
