import { assertSnapshot } from "./snapshot.ts";
import { assertEquals, assertThrows } from "./assert.ts";
import {
  diff,
  dumpDefinition,
  git,
  http,
  image,
  local,
  marshal,
  merge,
  mkdir,
  ociLayout,
  scratch,
  type State,
} from "../lib/llb/mod.ts";

/** One op per line: digest, then the op and metadata as JSON. */
function render(state: State): string {
  const def = marshal(state, { localUniqueId: "snapshot" });
  return dumpDefinition(def.bytes).map((op) => JSON.stringify(op)).join("\n") + "\n";
}

const base = image("busybox");

const GRAPHS: Record<string, () => State> = {
  "sources": () =>
    merge([
      image("alpine:3.20", { resolveMode: "pull" }),
      image("ghcr.io/example/app@sha256:" + "a".repeat(64)),
      local("ctx", {
        includePatterns: ["src/**"],
        excludePatterns: ["*.o"],
        followPaths: ["src"],
        sharedKeyHint: "ctx-key",
        uniqueId: "fixed",
      }),
      git("https://example.com/repo.git", "main", { keepGitDir: true, authTokenSecret: "TOKEN" }),
      http("https://example.com/f.tgz", {
        checksum: "sha256:" + "b".repeat(64),
        filename: "f.tgz",
        chmod: 0o600,
      }),
      ociLayout("store@sha256:" + "c".repeat(64), { storeId: "store", sessionId: "s1" }),
    ], { customName: "all sources" }),
  "exec-options": () =>
    base
      .addEnv("Z", "last")
      .addEnv("A", "first")
      .user("build")
      .hostname("builder")
      .addExtraHost("mirror", "127.0.0.1")
      .run({
        args: ["make", "-j2"],
        cwd: "src",
        network: "host",
        security: "insecure",
        validExitCodes: [0, 2],
        secretEnv: [{ id: "tok", name: "TOKEN" }],
        mounts: [
          { type: "bind", target: "/src", source: local("src"), selector: "sub", readonly: true },
          { type: "bind", target: "/out", source: scratch() },
          { type: "cache", target: "/cache/go", id: "go", sharing: "private" },
          {
            type: "cache",
            target: "/cache/pip",
            id: "pip",
            sharing: "locked",
            source: scratch().mkdir("/c", 0o755),
          },
          { type: "tmpfs", target: "/tmp", size: 64 << 20 },
          {
            type: "secret",
            target: "/run/secrets/key",
            id: "key",
            uid: 1000,
            gid: 1000,
            mode: 0o440,
            optional: true,
          },
          { type: "ssh", id: "default" },
        ],
        customName: "build",
        progressGroup: { id: "g1", name: "group one" },
        ignoreCache: true,
      }).getMount("/out"),
  "file-actions": () =>
    base.dir("/work").file(
      mkdir("a/b", 0o700, {
        parents: true,
        chown: { user: 1000, group: "build" },
        createdTime: 1700000000n * 1_000_000_000n,
      })
        .mkfile("a/b/c.txt", 0o644, "hello\n", { chown: { user: "root" } })
        .symlink("c.txt", "a/b/link")
        .copy(local("ctx"), "src/*.go", "dst/", {
          mode: 0o755,
          followSymlinks: true,
          copyDirContentsOnly: true,
          attemptUnpack: true,
          createDestPath: true,
          allowWildcard: true,
          allowEmptyWildcard: true,
          includePatterns: ["*.go"],
          excludePatterns: ["*_test.go"],
          alwaysReplaceExistingDestPaths: true,
          chown: { user: 0, group: 0 },
        })
        .rm("a/tmp*", { allowNotFound: true, allowWildcard: true }),
      { customName: "file actions" },
    ),
  "merge-diff-platform": () => {
    const arm = base.platform({ os: "linux", architecture: "arm64", variant: "v8" });
    const built = arm.run({ shell: "echo hi > /x" }).root();
    return merge([diff(base, built), scratch().mkfile("/y", 0o600, "y")]);
  },
};

for (const [name, graph] of Object.entries(GRAPHS)) {
  Deno.test(`llb snapshot: ${name}`, () => assertSnapshot(`llb/${name}.txt`, render(graph())));
}

Deno.test("llb: the same graph marshals to the same bytes every time", () => {
  for (const graph of Object.values(GRAPHS)) {
    assertEquals(marshal(graph()).bytes, marshal(graph()).bytes);
  }
});

Deno.test("llb: states are immutable values", () => {
  const a = base.addEnv("A", "1");
  const b = a.addEnv("A", "2").dir("/x");
  assertEquals(a.getEnv("A"), "1");
  assertEquals(a.getDir(), "/");
  assertEquals(b.getEnv("A"), "2");
  assertEquals(b.getDir(), "/x");
  assertEquals(b.dir("y").getDir(), "/x/y");
});

Deno.test("llb: environment order does not depend on how run's env was written", () => {
  const one = base.run({ shell: "true", env: { B: "2", A: "1" } });
  const two = base.run({ shell: "true", env: { A: "1", B: "2" } });
  assertEquals(marshal(one).bytes, marshal(two).bytes);
});

Deno.test("llb: a run needs a command, getMount a mount of the exec", () => {
  assertThrows(() => base.run({}), Error, "run needs args");
  assertThrows(() => base.run({ shell: "true" }).getMount("/nope"), Error, "no mount at /nope");
});

Deno.test("llb: scratch marshals to an empty definition", () => {
  assertEquals(marshal(scratch()).def.length, 0);
});
