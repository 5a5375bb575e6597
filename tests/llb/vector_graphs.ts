/**
 * The six graphs of ../shared/llb-vectors, rebuilt with the State API as the
 * vectors' README describes them. Shared by the vector and snapshot tests.
 */
import {
  diff,
  git,
  http,
  image,
  local,
  merge,
  rm,
  scratch,
  type State,
} from "../../lib/llb/mod.ts";

const BUILD_SCRIPT = [
  "set -e",
  "[ -d '/home/build' ] || mkdir -p '/home/build'",
  "cd '/home/build'",
  "mkdir -p /home/build/melange-out/hello/usr/bin",
  "echo hi > /home/build/melange-out/hello/usr/bin/hello",
  "exit 0",
].join("\n");

const WOLFI_BASE = "cgr.dev/chainguard/wolfi-base:latest";

function execExtras(): State {
  const base = image(WOLFI_BASE);
  const tools = scratch().mkfile("/tool.sh", 0o755, "#!/bin/sh\necho tool\n");
  const ran = base.run({
    shell: "cat /run/secrets/tok >/dev/null; /tools/tool.sh",
    env: { A: "1" },
    network: "none",
    mounts: [
      { type: "tmpfs", target: "/tmp" },
      { type: "bind", target: "/tools", source: tools, readonly: true },
      { type: "secret", target: "/run/secrets/tok", id: "token" },
    ],
  });
  return ran.root().file(
    rm("/etc/motd", { allowNotFound: true })
      .copy(tools, "/tool.sh", "/usr/bin/tool", { createDestPath: true })
      .mkfile("/etc/os-release", 0o644, "ID=test\n"),
  );
}

/** Vector name -> the graph's final state. */
export const VECTOR_GRAPHS: Record<string, () => State> = {
  "01-local-copy": () =>
    scratch().copy(local("apko-hello"), "/", "/", {
      copyDirContentsOnly: true,
      customName: "copy apko rootfs",
    }),
  "02-mkdir": () =>
    scratch().mkdir("/home/build/melange-out/hello", 0o755, {
      parents: true,
      customName: "create workspace",
    }),
  "03-melange-build": () => {
    const built = scratch()
      .copy(local("apko-hello"), "/", "/", {
        copyDirContentsOnly: true,
        customName: "copy apko rootfs",
      })
      .mkdir("/home/build", 0o755, { parents: true, customName: "create workspace" })
      .copy(local("source"), "/", "/home/build/", {
        copyDirContentsOnly: true,
        createDestPath: true,
        customName: "copy source",
      })
      .run({
        shell: BUILD_SCRIPT,
        cwd: "/home/build",
        user: "root",
        security: "insecure",
        env: {
          SOURCE_DATE_EPOCH: "0",
          PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          HOME: "/home/build",
        },
        mounts: [
          { type: "cache", target: "/go/pkg/mod", id: "melange-go-mod-cache", sharing: "shared" },
          { type: "cache", target: "/root/.cache/pip", id: "melange-pip-cache", sharing: "locked" },
        ],
        customName: "Build the application",
      });
    return scratch().copy(built.root(), "/home/build/melange-out", "/", {
      copyDirContentsOnly: true,
      customName: "export melange-out",
    });
  },
  "04-sources-merge": () =>
    merge([
      image(WOLFI_BASE),
      scratch().copy(
        git("https://github.com/example/project.git", "v1.2.3", { keepGitDir: true }),
        "/",
        "/src/project",
      ),
      scratch().copy(
        http("https://example.com/src/hello-2.12.tar.gz", {
          checksum: "sha256:cf04af86dc085268c5f4470fbae49b18afbc221b78096aab842d934a76bad0ab",
          filename: "hello-2.12.tar.gz",
        }),
        "/hello-2.12.tar.gz",
        "/src/hello.tar.gz",
      ),
      local("context", {
        includePatterns: ["src/**", "go.mod"],
        excludePatterns: ["**/*.tmp"],
        sharedKeyHint: "ctx",
      }),
    ], { customName: "merge sources" }),
  "05-exec-extras": execExtras,
  "06-diff": () => diff(image(WOLFI_BASE), execExtras()),
};

/** The `local.unique` every local source of the vectors carries. */
export const VECTOR_UNIQUE_ID = "vector-unique-id";
