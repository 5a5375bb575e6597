/**
 * Seeded random graph descriptions for the differential fuzz test: every op
 * kind and option of the State API, random nesting and sharing of states,
 * and the awkward values (paths, references, URLs, platforms, IPs, modes)
 * where two implementations of BuildKit's client are most likely to differ.
 */
import type { DescNode, Description } from "../../lib/llb/mod.ts";

/** A small, fast, seedable PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IMAGES = [
  "busybox",
  "busybox:1.36",
  "docker.io/busybox:1.36",
  "index.docker.io/library/alpine",
  "library/debian:bookworm",
  "localhost:5000/team/app",
  "localhost/app:v1",
  "Foo/bar",
  "ghcr.io/example/app:v1@sha256:" + "a".repeat(64),
  "quay.io/org/img@sha256:" + "b".repeat(64),
  "registry.example.com:8443/ns/img:tag",
  "[::1]:5000/x/y:z",
  "a.b/c_d/e__f/g-h---i:t.1-x",
  "user/repo",
  "cgr.dev/chainguard/wolfi-base:latest",
];
const GIT_REMOTES = [
  "https://github.com/example/project.git",
  "http://example.com/r",
  "git@github.com:moby/buildkit.git",
  "github.com/foo/bar",
  "ssh://git@host.example:2222/path/repo.git",
  "git://git.example.org/pub/repo.git",
  "https://example.com/repo/",
  "https://user@example.com/a//b/../c.git",
  "example.org",
  "https://example.com/x.git#frag",
  "https://host/p?q=1",
  "ftp://host/x",
];
const FRAGMENTS = ["", "main", "v1.2.3", "main:tools/cli", "ref:/a/../b/", ":sub", "refs/tags/v1:"];
const PATHS = [
  "/",
  ".",
  "a",
  "a/b",
  "/a/b",
  "a/b/",
  "/a/./b/../c",
  "//x//y/",
  "../up",
  "/.",
  "dir/.",
  "x/..",
  "/tmp/*",
  "rel/file",
  "/etc/motd",
  "ü/ñ",
  "sp ace",
];
const PLATFORMS = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64", variant: "v8" },
  { os: "linux", architecture: "aarch64" },
  { os: "linux", architecture: "arm" },
  { os: "linux", architecture: "armhf" },
  { os: "linux", architecture: "x86_64", variant: "v1" },
  { os: "Linux", architecture: "I386" },
  { os: "windows", architecture: "amd64", osVersion: "10.0.1" },
  { os: "linux", architecture: "s390x", osFeatures: ["b", "a", "b"] },
  { os: "linux", architecture: "arm", variant: "6" },
  { os: "macos", architecture: "arm64" },
];
const IPS = [
  "10.0.0.1",
  "fd00::1",
  "::1",
  "::ffff:1.2.3.4",
  "2001:db8:0:0:1:0:0:1",
  "0.0.0.0",
  "FE80::A",
];
const STRINGS = [
  "",
  "x",
  "a=b=c",
  "héllo wörld ✓",
  "<tag> & 'q'",
  "line\nbreak",
  "$HOME",
  "\u2028",
];
const ENV_KEYS = ["A", "B", "PATH", "HOME", "SSH_AUTH_SOCK", "VAR_1", "lower"];
const TARGETS = [
  "/out",
  "/cache",
  "/src",
  "/tmp",
  "/a/b",
  "/run/x",
  "/",
  "/z",
  "/out2",
  "/dev/shm",
];
const MODES = [0o644, 0o755, 0o700, 0o4755, 0o1777, 0o2750, 0, 0o777];

/** Builds one random description. */
export function randomDescription(random: () => number): Description {
  const g = new Gen(random);
  const steps = 1 + Math.floor(random() * 14);
  for (let i = 0; i < steps; i++) g.step();
  const d: Description = { nodes: g.nodes, output: g.pickState(true) };
  if (random() < 0.3) d.platform = g.pick(PLATFORMS);
  if (random() < 0.5) d.localUniqueId = g.pick(["u1", "lv-unique-id", "x y"]);
  return d;
}

class Gen {
  nodes: DescNode[] = [];
  states: number[] = [];
  constructor(readonly random: () => number) {}

  chance(p: number): boolean {
    return this.random() < p;
  }
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
  add(node: DescNode, isState = true): number {
    this.nodes.push(node);
    if (isState) this.states.push(this.nodes.length - 1);
    return this.nodes.length - 1;
  }
  /** A state made earlier (sharing), or a new source; `late` prefers recent ones. */
  pickState(late = false): number {
    if (!this.states.length || this.chance(0.15)) return this.source();
    if (late && this.chance(0.7)) return this.states[this.states.length - 1];
    return this.pick(this.states);
  }

  opOpts(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    if (this.chance(0.3)) o.customName = this.pick(["step", "build it", "ü", ""]);
    if (this.chance(0.1)) o.description = { "com.example": this.pick(STRINGS), "llb.x": "1" };
    if (this.chance(0.1)) o.progressGroup = { id: "g", name: "G", weak: this.chance(0.5) };
    if (this.chance(0.1)) o.ignoreCache = true;
    if (this.chance(0.08)) o.exportCache = this.chance(0.5);
    if (this.chance(0.1)) o.platform = this.pick(PLATFORMS);
    if (this.chance(0.08)) o.requires = ["node.labels.arch==amd64", "b"].slice(0, 1 + this.int(2));
    if (this.chance(0.06)) {
      o.linuxResources = this.pick([{}, { memory: 1 << 30, cpuQuota: 50000, cpusetCpus: "0-1" }, {
        memorySwap: -1,
        cpuShares: 512,
        cpuPeriod: 100000,
        cpusetMems: "0",
      }]);
    }
    return o;
  }

  source(): number {
    const o = this.opOpts();
    switch (this.int(6)) {
      case 0:
        return this.add({ kind: "scratch" });
      case 1:
        if (this.chance(0.2)) o.resolveMode = this.pick(["default", "pull", "local"]);
        if (this.chance(0.1)) o.layerLimit = this.int(5);
        if (this.chance(0.1)) o.checksum = "sha256:" + "c".repeat(64);
        if (this.chance(0.1)) o.internal = true;
        return this.add({ kind: "image", ref: this.pick(IMAGES), opts: o });
      case 2: {
        if (this.chance(0.3)) o.includePatterns = ["src/**", "<a>&b"].slice(0, 1 + this.int(2));
        if (this.chance(0.2)) o.excludePatterns = ["*.tmp"];
        if (this.chance(0.2)) o.followPaths = ["src", "go.mod"];
        if (this.chance(0.2)) o.sharedKeyHint = "hint";
        if (this.chance(0.2)) o.uniqueId = "per-source";
        if (this.chance(0.2)) o.sessionId = "sess";
        if (this.chance(0.2)) {
          o.differ = { type: this.pick(["none", "metadata"]), required: this.chance(0.5) };
        }
        if (this.chance(0.1)) o.metadataOnly = { exceptions: this.chance(0.5) ? ["a/**"] : [] };
        return this.add({ kind: "local", name: this.pick(["ctx", "src", "a b"]), opts: o });
      }
      case 3: {
        if (this.chance(0.2)) o.keepGitDir = true;
        if (this.chance(0.2)) o.authHeaderSecret = this.pick(["H", ""]);
        if (this.chance(0.2)) o.authTokenSecret = this.pick(["T", ""]);
        if (this.chance(0.1)) o.ref = "dev";
        if (this.chance(0.1)) o.subdir = this.pick(["sub", "a/../b"]);
        if (this.chance(0.2)) o.knownSshHosts = ["host ssh-ed25519 AAAA\n", "b ssh-rsa BBBB"];
        if (this.chance(0.1)) o.mountSshSock = "agent";
        if (this.chance(0.1)) o.checksum = "0123456789abcdef0123456789abcdef01234567";
        if (this.chance(0.1)) o.skipSubmodules = true;
        if (this.chance(0.1)) o.mtime = "commit";
        if (this.chance(0.1)) o.fetchByCommit = true;
        // Go scans an ssh host's key over the network when none is given.
        const remote = this.pick(GIT_REMOTES);
        if (/^(ssh:|git@)/.test(remote)) o.knownSshHosts ??= ["h ssh-ed25519 K"];
        return this.add({ kind: "git", remote, fragment: this.pick(FRAGMENTS), opts: o });
      }
      case 4: {
        if (this.chance(0.3)) o.checksum = "sha256:" + "d".repeat(64);
        if (this.chance(0.3)) o.filename = "f.tgz";
        if (this.chance(0.3)) o.chmod = this.pick(MODES);
        if (this.chance(0.2)) o.uid = this.pick([0, 1000]);
        if (this.chance(0.2)) o.gid = this.pick([0, 1000]);
        if (this.chance(0.1)) o.authHeaderSecret = "AUTH";
        if (this.chance(0.1)) o.headers = { accept: this.pick(["", "*/*"]), userAgent: "ua" };
        if (this.chance(0.1)) o.pgp = { pubKey: "KEY", signature: this.pick(["", "SIG"]) };
        return this.add({ kind: "http", url: "https://example.com/f.tgz", opts: o });
      }
      default:
        if (this.chance(0.5)) o.sessionId = "s1";
        if (this.chance(0.5)) o.storeId = "store";
        if (this.chance(0.2)) o.layerLimit = this.int(4);
        return this.add({ kind: "ociLayout", ref: "store@sha256:" + "e".repeat(64), opts: o });
    }
  }

  setting(state: number, onlyRunnable = false): DescNode {
    const kinds = onlyRunnable
      ? [
        "env",
        "dir",
        "user",
        "hostname",
        "network",
        "security",
        "extraHost",
        "ulimit",
        "cgroupParent",
      ]
      : [
        "env",
        "dir",
        "user",
        "hostname",
        "network",
        "security",
        "extraHost",
        "ulimit",
        "cgroupParent",
        "platform",
      ];
    const kind = this.pick(kinds);
    const n: DescNode = { kind, state };
    if (kind === "env") Object.assign(n, { key: this.pick(ENV_KEYS), value: this.pick(STRINGS) });
    if (kind === "dir") n.path = this.pick(PATHS);
    if (kind === "user" || kind === "hostname") {
      n.name = this.pick(["root", "build:build", "1000", ""]);
    }
    if (kind === "network") n.mode = this.pick(["sandbox", "host", "none"]);
    if (kind === "security") n.mode = this.pick(["sandbox", "insecure"]);
    if (kind === "extraHost") Object.assign(n, { host: "h.local", ip: this.pick(IPS) });
    if (kind === "ulimit") Object.assign(n, { name: "nofile", soft: this.int(2048), hard: 4096 });
    if (kind === "cgroupParent") n.path = "/mygroup";
    if (kind === "platform") n.platform = this.pick(PLATFORMS);
    return n;
  }

  chown(): unknown {
    if (this.chance(0.5)) {
      return this.pick(["root", "build:staff", "1000:1000", "nobody", "0", ":x", "+5"]);
    }
    return { user: this.pick([0, 1000, "build", ""]), group: this.pick([undefined, 0, "staff"]) };
  }

  createOpts(o: Record<string, unknown>) {
    if (this.chance(0.3)) o.chown = this.chown();
    if (this.chance(0.2)) {
      o.createdTime = String(
        this.pick([0n, 1700000000n * 1_000_000_000n, 1600000000123456789n, 5n]),
      );
    }
  }

  action(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    switch (this.int(5)) {
      case 0:
        if (this.chance(0.5)) o.parents = true;
        this.createOpts(o);
        return { kind: "mkdir", path: this.pick(PATHS), mode: this.pick(MODES), opts: o };
      case 1:
        this.createOpts(o);
        return {
          kind: "mkfile",
          path: this.pick(PATHS),
          mode: this.pick(MODES),
          data: this.pick(["", "aGkK", "AAEC/w=="]),
          opts: o,
        };
      case 2:
        if (this.chance(0.5)) o.allowNotFound = true;
        if (this.chance(0.5)) o.allowWildcard = true;
        return { kind: "rm", path: this.pick(PATHS), opts: o };
      case 3:
        this.createOpts(o);
        return { kind: "symlink", oldpath: this.pick(PATHS), newpath: this.pick(PATHS), opts: o };
      default: {
        this.createOpts(o);
        for (
          const k of [
            "followSymlinks",
            "copyDirContentsOnly",
            "attemptUnpack",
            "createDestPath",
            "allowWildcard",
            "allowEmptyWildcard",
            "alwaysReplaceExistingDestPaths",
          ]
        ) {
          if (this.chance(0.2)) o[k] = true;
        }
        if (this.chance(0.3)) {
          o.mode = this.chance(0.7) ? this.pick(MODES) : this.pick(["u+x", "0755"]);
        }
        if (this.chance(0.2)) o.includePatterns = ["*.go"];
        if (this.chance(0.2)) o.excludePatterns = ["*_test.go", "<x>"];
        if (this.chance(0.1)) o.requiredPaths = ["a", "b"];
        return {
          kind: "copy",
          from: this.pickState(),
          src: this.pick(PATHS),
          dest: this.pick(PATHS),
          opts: o,
        };
      }
    }
  }

  run(): void {
    const state = this.pickState(true);
    const withNodes: number[] = [];
    let base = state;
    const count = this.int(4);
    const settings: DescNode[] = [];
    for (let i = 0; i < count; i++) settings.push(this.setting(0, true));
    const order = [
      "env",
      "dir",
      "user",
      "hostname",
      "network",
      "security",
      "extraHost",
      "ulimit",
      "cgroupParent",
    ];
    settings.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    const seenSingle = new Set<string>();
    for (const s of settings) {
      // A run sets each single-valued setting once, env keys in key order (as RunOptions do).
      if (
        s.kind === "env"
          ? seenSingle.has(`env:${s.key}`)
          : seenSingle.has(s.kind) && !/extraHost|ulimit/.test(s.kind)
      ) continue;
      seenSingle.add(s.kind === "env" ? `env:${s.key}` : s.kind);
      base = this.add({ ...s, state: base }, false);
      withNodes.push(base);
    }
    const envOrder = withNodes.filter((i) => this.nodes[i].kind === "env");
    const keys = envOrder.map((i) => this.nodes[i].key as string);
    if (keys.join() !== [...keys].sort().join()) {
      // Env steps must come in key order: re-key them in order.
      const sorted = [...keys].sort();
      envOrder.forEach((i, j) => this.nodes[i].key = sorted[j]);
    }
    const o = this.opOpts();
    const mounts: Record<string, unknown>[] = [];
    const used = new Set<string>(["/"]);
    const writable: string[] = [];
    for (let i = this.int(5); i > 0; i--) {
      const target = this.pick(TARGETS);
      if (used.has(target)) continue;
      used.add(target);
      const kind = this.pick(["bind", "bind", "cache", "tmpfs", "secret", "ssh"]);
      const m: Record<string, unknown> = { type: kind, target };
      if (kind === "bind") {
        m.source = this.pickState();
        if (this.chance(0.3)) m.readonly = true;
        else if (this.chance(0.1)) m.noOutput = true;
        else writable.push(target);
        if (this.chance(0.2)) m.selector = this.pick(["sub/dir", "/seed"]);
        if (this.chance(0.1)) m.contentCache = this.pick(["default", "on", "off"]);
      } else if (kind === "cache") {
        m.id = this.pick(["c", "go-mod"]);
        if (this.chance(0.5)) m.sharing = this.pick(["shared", "private", "locked"]);
        if (this.chance(0.2)) m.source = this.pickState();
        if (this.chance(0.1)) m.readonly = true;
      } else if (kind === "tmpfs") {
        if (this.chance(0.5)) m.size = this.pick([0, 64 << 20]);
      } else if (kind === "secret") {
        if (this.chance(0.7)) m.id = "key";
        if (this.chance(0.3)) {
          Object.assign(m, { uid: 1000, gid: 1000, mode: this.pick([0o440, 0]) });
        }
        if (this.chance(0.2)) m.optional = true;
      } else {
        if (this.chance(0.7)) m.id = this.pick(["default", "deploy"]);
        if (this.chance(0.5)) delete m.target;
        if (this.chance(0.3)) Object.assign(m, { uid: 1000, mode: this.pick([0o600, 0o644]) });
        if (this.chance(0.2)) m.optional = true;
      }
      mounts.push(m);
    }
    if (mounts.length) o.mounts = mounts;
    if (this.chance(0.2)) {
      o.secretEnv = [{
        id: this.pick(["api", undefined]),
        name: "API_TOKEN",
        optional: this.chance(0.5),
      }];
    }
    if (this.chance(0.15)) o.validExitCodes = this.pick([[0, 1, 3], [2]]);
    if (this.chance(0.1)) o.readonlyRootfs = true;
    if (this.chance(0.1)) {
      o.proxyEnv = { httpProxy: "http://p:3128", noProxy: this.pick(["", "localhost"]) };
    }
    if (this.chance(0.1)) o.cdiDevices = [{ name: "vendor.com/gpu=0", optional: this.chance(0.5) }];
    const args = this.chance(0.5) ? ["/bin/sh", "-c", this.pick(STRINGS) || "true"] : ["true"];
    const run = this.add({ kind: "run", state, args, with: withNodes, opts: o }, false);
    if (!o.readonlyRootfs || this.chance(0.5)) this.add({ kind: "root", run });
    for (const target of writable) if (this.chance(0.5)) this.add({ kind: "mount", run, target });
  }

  step(): void {
    const r = this.random();
    if (r < 0.15) this.source();
    else if (r < 0.3) {
      const n = this.setting(this.pickState(true));
      this.add(n);
    } else if (r < 0.55) this.run();
    else if (r < 0.75) {
      const actions = Array.from({ length: 1 + this.int(4) }, () => this.action());
      this.add({ kind: "file", state: this.pickState(true), actions, opts: this.opOpts() });
    } else if (r < 0.85) {
      const states = Array.from({ length: 2 + this.int(3) }, () => this.pickState());
      this.add({ kind: "merge", states, opts: this.opOpts() });
    } else if (r < 0.95) {
      this.add({
        kind: "diff",
        lower: this.pickState(),
        upper: this.pickState(true),
        opts: this.opOpts(),
      });
    } else {
      const deps = Array.from({ length: this.int(3) }, () => this.pickState());
      this.add({ kind: "requires", state: this.pickState(true), id: "req", deps });
    }
  }
}
