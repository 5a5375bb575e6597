/**
 * The 48 graphs of ../shared/llb-vectors-v0.32, rebuilt with the State API
 * call for call as the generator (gen/main.go, `graphs()`) builds them with
 * BuildKit's Go client. Shared by the vector, describe and snapshot tests.
 */
import {
  copy,
  diff,
  git,
  http,
  image,
  local,
  type MarshalOptions,
  merge,
  mkdir,
  mkfile,
  type MountSpec,
  ociLayout,
  type Platform,
  rm,
  scratch,
  type State,
  symlink,
} from "../../lib/llb/mod.ts";

/** The `local.unique` the vectors were marshalled with. */
export const VECTOR_UNIQUE_ID = "lv-unique-id";

const BB = "busybox:1.36";
const WOLFI = "cgr.dev/chainguard/wolfi-base:latest";
const A64 = `sha256:${"a".repeat(64)}`;
const B64 = `sha256:${"b".repeat(64)}`;
const C64 = `sha256:${"c".repeat(64)}`;
const D64 = "sha256:cf04af86dc085268c5f4470fbae49b18afbc221b78096aab842d934a76bad0ab";
const ARMV7: Platform = { os: "linux", architecture: "arm", variant: "v7" };
const ARM64: Platform = { os: "linux", architecture: "arm64" };
const AMD64: Platform = { os: "linux", architecture: "amd64" };
const SECONDS = 1_000_000_000n;

const MELANGE_ENV = {
  HOME: "/home/build",
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  SOURCE_DATE_EPOCH: "1700000000",
  GOPATH: "/home/build/go",
  CARGO_HOME: "/home/build/.cargo",
  npm_config_cache: "/home/build/.npm",
};

const MELANGE_CACHES: MountSpec[] = [
  ["melange-go-mod-cache", "/home/build/go/pkg/mod"],
  ["melange-go-build-cache", "/home/build/.cache/go-build"],
  ["melange-pip-cache", "/home/build/.cache/pip"],
  ["melange-npm-cache", "/home/build/.npm"],
  ["melange-cargo-registry", "/home/build/.cargo/registry"],
  ["melange-cargo-git", "/home/build/.cargo/git"],
  ["melange-ccache", "/home/build/.ccache"],
].map(([id, target]) => ({ type: "cache", id, target, sharing: "shared" }));

function melange(): State {
  let st = scratch().copy(local("apko-hello"), "/", "/", {
    copyDirContentsOnly: true,
    customName: "copy build environment",
  });
  st = st.mkdir("/home/build", 0o755, { parents: true, customName: "create workspace" });
  st = st.copy(local("source"), "/", "/home/build/", {
    copyDirContentsOnly: true,
    createDestPath: true,
    customName: "copy source",
  });
  st = st.dir("/home/build").user("root");
  ["fetch", "configure", "build", "test", "install", "strip"].forEach((step, i) => {
    const script = `set -e\n[ -d '/home/build' ] || mkdir -p '/home/build'\ncd '/home/build'\n` +
      `echo ${step} ${i}\nexit 0`;
    st = st.run({
      shell: script,
      env: MELANGE_ENV,
      cwd: "/home/build",
      security: "insecure",
      customName: step,
      mounts: MELANGE_CACHES,
    }).root();
  });
  return scratch().copy(st, "/home/build/melange-out", "/", {
    copyDirContentsOnly: true,
    customName: "export melange-out",
  });
}

/** The generator's 1,000-op graph (also the marshalling benchmark's). */
export function perf1000(): State {
  let st = image(WOLFI);
  const ctx = local("ctx");
  for (let i = 0; i < 998; i++) {
    switch (i % 4) {
      case 0:
        st = st.addEnv("STEP", String(i)).run({
          shell: `echo step ${i}`,
          mounts: [{ type: "cache", target: "/cache", id: "c", sharing: "shared" }],
          customName: `step ${i}`,
        }).root();
        break;
      case 1:
        st = st.file(mkfile(`/f/${i}`, 0o644, "data"));
        break;
      case 2:
        st = st.file(copy(ctx, `/src/${i}`, `/dst/${i}`));
        break;
      case 3:
        st = st.file(mkdir(`/d/${i}`, 0o755, { parents: true }));
        break;
    }
  }
  return st;
}

function execEnvMany(): State {
  let st = image(WOLFI);
  for (let i = 0; i < 40; i++) {
    st = st.addEnv(`VAR_${String((i * 7) % 40).padStart(2, "0")}`, `value-${i}`);
  }
  st = st.addEnv("VAR_05", "replaced").addEnv("EMPTY", "").addEnv("WITH_EQ", "a=b=c")
    .addEnv("UNICODE", "héllo wörld ✓");
  st = st.dir("/work").dir("sub/dir").user("build:build").hostname("builder-01");
  return st.run({ args: ["env"] }).root();
}

/** Vector name -> the graph's final state and the options it was marshalled with. */
export const VECTOR_GRAPHS: Record<string, { build: () => State; options?: MarshalOptions }> = {
  "scratch-empty": { build: () => scratch() },
  "image-plain": { build: () => image("busybox") },
  "image-refs": {
    build: () =>
      merge([
        image("alpine:3.20"),
        image("library/debian:bookworm"),
        image("localhost:5000/team/app"),
        image(`ghcr.io/example/app:v1@${A64}`),
        image(`quay.io/org/img@${B64}`),
        image("registry.example.com:8443/ns/img:tag"),
      ], { customName: "image refs" }),
  },
  "image-platform": { build: () => image(BB, { platform: ARMV7, customName: "pull armv7" }) },
  "image-platform-exec": {
    build: () => image(BB, { platform: ARM64 }).run({ args: ["uname", "-m"] }).root(),
  },
  "local-options": {
    build: () =>
      local("ctx", {
        includePatterns: ["src/**", "go.mod", "go.sum"],
        excludePatterns: ["**/*.tmp", ".git"],
        followPaths: ["src", "go.mod"],
        sharedKeyHint: "ctx-hint",
        uniqueId: "per-source-unique",
        differ: { type: "metadata", required: true },
        customName: "load ctx",
      }),
  },
  "local-differ-optional": {
    build: () => local("ctx", { differ: { type: "none", required: false } }),
  },
  "local-session": {
    build: () => local("ctx", { sessionId: "session-0123", sharedKeyHint: "k" }),
  },
  "git-https": {
    build: () =>
      git("https://github.com/example/project.git", "v1.2.3", {
        keepGitDir: true,
        authHeaderSecret: "MY_GIT_HEADER",
        customName: "clone",
      }),
  },
  "git-plain": { build: () => git("https://gitlab.com/group/sub/repo.git", "main") },
  "git-token": {
    build: () =>
      git("https://example.com/r.git", "0123456789abcdef0123456789abcdef01234567", {
        authTokenSecret: "MY_TOKEN",
      }),
  },
  "git-protocol": { build: () => git("git://git.example.org/pub/repo.git", "refs/tags/v1") },
  "git-subdir": { build: () => git("https://github.com/example/mono.git", "main:tools/cli") },
  "http-full": {
    build: () =>
      http("https://example.com/releases/tool-1.0.tar.gz", {
        checksum: D64,
        filename: "tool.tar.gz",
        chmod: 0o755,
        uid: 1000,
        gid: 1000,
      }),
  },
  "oci-layout": {
    build: () => ociLayout(`store@${C64}`, { sessionId: "sess-1", storeId: "store" }),
  },
  "exec-basic": { build: () => image(BB).run({ shell: "echo hi > /out" }).root() },
  "exec-env-many": { build: execEnvMany },
  "exec-network-security": {
    build: () =>
      image(BB)
        .run({ args: ["wget", "-q", "https://example.com"], network: "host" }).root()
        .run({ args: ["true"], network: "none" }).root()
        .run({ args: ["mount"], security: "insecure" }).root(),
  },
  "exec-state-network": {
    build: () =>
      image(BB).network("none").security("insecure")
        .run({ args: ["id"] }).root().run({ args: ["id", "-u"] }).root(),
  },
  "exec-readonly-rootfs": {
    build: () =>
      image(BB).run({
        args: ["cat", "/etc/os-release"],
        readonlyRootfs: true,
        mounts: [{ type: "bind", target: "/out", source: scratch() }],
      }).getMount("/out"),
  },
  "exec-valid-exit-codes": {
    build: () => image(BB).run({ shell: "exit 3", validExitCodes: [0, 1, 3] }).root(),
  },
  "exec-extra-hosts": {
    build: () =>
      image(BB).addExtraHost("mirror.local", "10.0.0.1").addExtraHost("db.local", "fd00::1")
        .run({ args: ["cat", "/etc/hosts"] }).root(),
  },
  "exec-mounts-bind": {
    build: () =>
      image(BB).run({
        args: ["make"],
        mounts: [
          { type: "bind", target: "/data", source: image("alpine:3.20") },
          { type: "bind", target: "/out", source: scratch() },
          {
            type: "bind",
            target: "/src",
            source: local("src"),
            selector: "sub/dir",
            readonly: true,
          },
        ],
      }).getMount("/out"),
  },
  "exec-cache-mounts": {
    build: () => {
      const seed = scratch().file(mkdir("/seed", 0o755));
      return image(BB).run({
        args: ["build"],
        mounts: [
          { type: "cache", target: "/cache/locked", id: "c-locked", sharing: "locked" },
          { type: "cache", target: "/cache/private", id: "c-private", sharing: "private" },
          {
            type: "cache",
            target: "/cache/seeded",
            id: "c-seeded",
            sharing: "shared",
            source: seed,
            selector: "/seed",
          },
          { type: "cache", target: "/cache/shared", id: "c-shared", sharing: "shared" },
        ],
      }).root();
    },
  },
  "exec-tmpfs": {
    build: () =>
      image(BB).run({
        args: ["df"],
        mounts: [
          { type: "tmpfs", target: "/dev/shm", size: 64 << 20 },
          { type: "tmpfs", target: "/tmp" },
        ],
      }).root(),
  },
  "exec-secrets": {
    build: () =>
      image(BB).run({
        args: ["cat", "/run/secrets/key"],
        mounts: [
          {
            type: "secret",
            target: "/run/secrets/key",
            id: "key",
            uid: 1000,
            gid: 1000,
            mode: 0o440,
            optional: true,
          },
          { type: "secret", target: "/run/secrets/plain" },
        ],
        secretEnv: [{ id: "api", name: "API_TOKEN" }],
      }).root(),
  },
  "exec-ssh": {
    build: () =>
      image(BB).run({
        args: ["ssh-add", "-l"],
        mounts: [
          { type: "ssh", id: "default", target: "/run/ssh.sock" },
          {
            type: "ssh",
            id: "deploy",
            target: "/run/deploy.sock",
            uid: 1000,
            gid: 1000,
            mode: 0o600,
            optional: true,
          },
        ],
      }).root(),
  },
  "exec-metadata": {
    build: () =>
      image(BB, { customName: "base image" })
        .run({
          args: ["true"],
          customName: "step one",
          progressGroup: { id: "pg-1", name: "Build group", weak: false },
          ignoreCache: true,
          description: { "com.example.step": "1" },
          requires: ["node.labels.arch==amd64"],
        }).root()
        .run({
          args: ["true"],
          progressGroup: { id: "pg-2", name: "Weak group", weak: true },
          customName: "step two",
        }).root(),
  },
  "exec-platform-op": {
    build: () => image(BB).run({ args: ["uname", "-m"], platform: ARM64 }).root(),
  },
  "state-platform-armv7": {
    build: () => image(BB).platform(ARMV7).run({ args: ["uname", "-m"] }).root(),
  },
  "marshal-arm64": {
    build: () =>
      merge([
        image(BB).run({ args: ["true"] }).root().file(mkdir("/x", 0o755)),
        image("alpine:3.20", { platform: AMD64 }),
      ]),
    options: { platform: ARM64 },
  },
  "file-mkdir-chown": {
    build: () =>
      image(BB).file(
        mkdir("/a/b/c", 0o755, { parents: true })
          .mkdir("/own/id", 0o700, { parents: true, chown: { user: 1000, group: 1000 } })
          .mkdir("/own/name", 0o750, { chown: "build:staff" })
          .mkdir("/own/root", 0o755, { chown: "root" }),
        { customName: "dirs" },
      ),
  },
  "file-mkfile": {
    build: () =>
      image(BB).dir("/work").file(
        mkfile("/etc/app.conf", 0o644, "key=value\n", { chown: { user: 0, group: 0 } })
          .mkfile("rel.txt", 0o600, "relative\n")
          .mkfile("/bin.dat", 0o755, new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x80]), {
            chown: "nobody:nogroup",
          })
          .mkfile("/empty", 0o644, new Uint8Array()),
      ),
  },
  "file-rm": {
    build: () =>
      image(BB).dir("/srv").file(
        rm("/tmp/*", { allowWildcard: true, allowNotFound: true })
          .rm("/var/cache/apk", { allowNotFound: true })
          .rm("relative/file")
          .rm("/etc/motd"),
      ),
  },
  "file-copy-flags": {
    build: () =>
      image(BB).dir("/work").file(
        copy(local("ctx"), "src/main.go", "dst/", {
          mode: 0o755,
          followSymlinks: true,
          copyDirContentsOnly: true,
          attemptUnpack: true,
          createDestPath: true,
          allowWildcard: true,
          allowEmptyWildcard: true,
          chown: { user: 1000, group: 1000 },
          createdTime: 1700000000n * SECONDS,
        }),
      ),
  },
  "file-copy-patterns": {
    build: () =>
      image(BB).file(
        copy(local("ctx"), "/", "/app", {
          includePatterns: ["*.go", "go.*"],
          excludePatterns: ["*_test.go"],
          alwaysReplaceExistingDestPaths: true,
          copyDirContentsOnly: true,
        }),
      ),
  },
  "file-copy-paths": {
    build: () => {
      const src = image("alpine:3.20").dir("/opt");
      return image(BB).dir("/app").file(
        copy(src, "bin/", "./")
          .copy(src, "/etc/./ssl/../ssl/certs/.", "certs/.")
          .copy(src, "lib", "../x")
          .copy(src, ".", "//a//b/")
          .copy(src, "/", "/"),
      );
    },
  },
  "file-symlink": {
    build: () =>
      image(BB).file(
        symlink("/usr/bin/busybox", "bin/sh").symlink("../lib", "/usr/lib64/../lib64x", {
          chown: { user: 0, group: 0 },
          createdTime: new Date(1600000000 * 1000),
        }),
      ),
  },
  "file-two-sources": {
    build: () => {
      const builder = image("golang:1.22").run({ args: ["go", "build", "-o", "/out/server"] })
        .root();
      return image(WOLFI).file(
        mkdir("/opt/app", 0o755, { parents: true })
          .copy(local("frontend"), "/dist", "/opt/app/static", {
            copyDirContentsOnly: true,
            createDestPath: true,
          })
          .copy(builder, "/out/server", "/opt/app/bin/server")
          .mkfile("/opt/app/VERSION", 0o644, "1.0\n")
          .rm("/opt/app/static/*.map", { allowWildcard: true, allowNotFound: true }),
        { customName: "assemble" },
      );
    },
  },
  "merge-3": {
    build: () =>
      merge([
        image(WOLFI),
        scratch().file(mkfile("/etc/motd", 0o644, "hi\n")),
        local("overlay", { includePatterns: ["etc/**"] }),
      ], { customName: "merge three" }),
  },
  "diff-basic": {
    build: () => {
      const base = image(BB);
      return diff(base, base.run({ shell: "echo x > /x" }).root(), { customName: "changes" });
    },
  },
  "diff-merge-layers": {
    build: () => {
      const base = image(BB);
      return merge([
        base,
        diff(base, base.run({ shell: "apk add curl" }).root()),
        diff(base, base.file(mkfile("/etc/layer", 0o644, "2"))),
      ]);
    },
  },
  "multi-output": {
    build: () => {
      const es = image(BB).run({
        shell: "echo 1 > /out1/a; echo 2 > /out2/b",
        mounts: [
          { type: "bind", target: "/out1", source: scratch() },
          { type: "bind", target: "/out2", source: image("alpine:3.20") },
          { type: "bind", target: "/ro", source: local("ro"), readonly: true },
        ],
      });
      return merge([es.root(), es.getMount("/out1"), es.getMount("/out2")]);
    },
  },
  "deep-chain-200": {
    build: () => {
      let st = image(BB);
      for (let i = 0; i < 200; i++) st = st.run({ shell: `echo ${i} >> /log` }).root();
      return st;
    },
  },
  "run-env-scope": {
    build: () =>
      image(BB).run({ args: ["true"], env: { STEP: "1" }, cwd: "/tmp" }).root()
        .run({ args: ["env"] }).root(),
  },
  "merge-scratch-filtered": {
    build: () => merge([image(BB), scratch(), image("alpine:3.20"), scratch()]),
  },
  "melange": { build: melange },
  "perf-1000": { build: perf1000 },
};
