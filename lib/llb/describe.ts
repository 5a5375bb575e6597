/**
 * Graph descriptions: a JSON recipe of the API calls that made a state, one
 * node per call, nodes naming earlier nodes by index. `describe` writes the
 * recipe from the trace every state carries; `fromDescription` replays one
 * through the State API. The differential tests replay the same recipe
 * through BuildKit's Go client (scripts/llbref) and compare the bytes.
 */
import { Buffer } from "node:buffer";
import { FileAction } from "./file.ts";
import type { ActionSpec } from "./file.ts";
import {
  diff,
  type ExecState,
  git,
  http,
  image,
  local,
  merge,
  ociLayout,
  scratch,
} from "./state.ts";
import { type MountSpec, type RunOptions, State } from "./state.ts";
import { TraceNode } from "./trace.ts";
import type { MarshalOptions } from "./marshal.ts";

/** One call: `kind` and its fields; fields naming states hold node indexes. */
export type DescNode = { kind: string } & Record<string, unknown>;

/** A graph as the calls that make it, and the marshal options. */
export interface Description {
  platform?: MarshalOptions["platform"];
  localUniqueId?: string;
  nodes: DescNode[];
  /** The node of the state to marshal. */
  output: number;
}

/** The recipe of `state` (and the options it is to be marshalled with). */
export function describe(state: State, opts: MarshalOptions = {}): Description {
  const index = new Map<TraceNode, number>();
  const nodes: DescNode[] = [];
  for (const node of postOrder(state.node)) {
    index.set(node, nodes.length);
    nodes.push({ kind: node.kind, ...flatten(node.fields, index) as Record<string, unknown> });
  }
  return { ...opts, nodes, output: index.get(state.node)! };
}

/** Nodes reachable from `root`, each after the nodes it names (iterative: chains can be long). */
function postOrder(root: TraceNode): TraceNode[] {
  const order: TraceNode[] = [];
  const done = new Set<TraceNode>();
  const stack: { node: TraceNode; children: TraceNode[]; next: number }[] = [];
  const push = (n: TraceNode) => {
    if (!done.has(n)) stack.push({ node: n, children: childrenOf(n.fields), next: 0 });
  };
  push(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next < top.children.length) {
      push(top.children[top.next++]);
      continue;
    }
    stack.pop();
    if (done.has(top.node)) continue;
    done.add(top.node);
    order.push(top.node);
  }
  return order;
}

function childrenOf(value: unknown, out: TraceNode[] = []): TraceNode[] {
  if (value instanceof TraceNode) out.push(value);
  else if (value instanceof State) out.push(value.node);
  else if (Array.isArray(value)) { for (const v of value) childrenOf(v, out); }
  else if (isPlainObject(value)) { for (const v of Object.values(value)) childrenOf(v, out); }
  return out;
}

function flatten(value: unknown, index: Map<TraceNode, number>): unknown {
  if (value instanceof TraceNode) return index.get(value);
  if (value instanceof State) return index.get(value.node);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Date) return String(BigInt(value.getTime()) * 1_000_000n);
  if (typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.map((v) => flatten(v, index));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = flatten(v, index);
    return out;
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Replays a recipe through the State API: the state it describes and its marshal options. */
export function fromDescription(d: Description): { state: State; options: MarshalOptions } {
  const states: State[] = [];
  const runs = new Map<number, ExecState>();
  const st = (i: unknown) => {
    const s = states[i as number];
    if (!s) throw new Error(`node ${i} is not a state`);
    return s;
  };
  d.nodes.forEach((n, i) => {
    const f = n as Record<string, any>;
    if (n.kind === "run") {
      const run = st(f.state).run(runOptions(f, d.nodes, st));
      runs.set(i, run);
      return;
    }
    states[i] = n.kind === "root"
      ? runs.get(f.run)!.root()
      : n.kind === "mount"
      ? runs.get(f.run)!.getMount(f.target)
      : replay(n, f, st);
  });
  const options: MarshalOptions = {};
  if (d.platform) options.platform = d.platform;
  if (d.localUniqueId) options.localUniqueId = d.localUniqueId;
  return { state: st(d.output), options };
}

function replay(n: DescNode, f: Record<string, any>, st: (i: unknown) => State): State {
  switch (n.kind) {
    case "scratch":
      return scratch();
    case "image":
      return image(f.ref, f.opts);
    case "local":
      return local(f.name, f.opts);
    case "git":
      return git(f.remote, f.fragment, f.opts);
    case "http":
      return http(f.url, f.opts);
    case "ociLayout":
      return ociLayout(f.ref, f.opts);
    case "env":
      return st(f.state).addEnv(f.key, f.value);
    case "dir":
      return st(f.state).dir(f.path);
    case "user":
      return st(f.state).user(f.name);
    case "platform":
      return st(f.state).platform(f.platform);
    case "network":
      return st(f.state).network(f.mode);
    case "security":
      return st(f.state).security(f.mode);
    case "hostname":
      return st(f.state).hostname(f.name);
    case "extraHost":
      return st(f.state).addExtraHost(f.host, f.ip);
    case "ulimit":
      return st(f.state).addUlimit(f.name, f.soft, f.hard);
    case "cgroupParent":
      return st(f.state).cgroupParent(f.path);
    case "file":
      return st(f.state).file(actionChain(f.actions, st), f.opts);
    case "merge":
      return merge(f.states.map(st), f.opts);
    case "diff":
      return diff(st(f.lower), st(f.upper), f.opts);
    case "requires":
      return st(f.state).requires(f.id, f.deps.map(st));
  }
  throw new Error(`unknown node kind ${JSON.stringify(n.kind)}`);
}

const SETTING_OPTION: Record<string, (o: RunOptions, f: Record<string, any>) => void> = {
  env: (o, f) => (o.env ??= {})[f.key] = f.value,
  dir: (o, f) => o.cwd = f.path,
  user: (o, f) => o.user = f.name,
  hostname: (o, f) => o.hostname = f.name,
  network: (o, f) => o.network = f.mode,
  security: (o, f) => o.security = f.mode,
  extraHost: (o, f) => (o.extraHosts ??= []).push({ host: f.host, ip: f.ip }),
  ulimit: (o, f) => (o.ulimits ??= []).push({ name: f.name, soft: f.soft, hard: f.hard }),
  cgroupParent: (o, f) => o.cgroupParent = f.path,
};

function runOptions(f: Record<string, any>, nodes: DescNode[], st: (i: unknown) => State) {
  const o: RunOptions = { ...f.opts, args: f.args };
  for (const i of f.with ?? []) SETTING_OPTION[nodes[i].kind](o, nodes[i]);
  if (f.opts?.mounts) {
    o.mounts = f.opts.mounts.map((m: Record<string, any>) =>
      m.source === undefined ? m : { ...m, source: st(m.source) }
    ) as MountSpec[];
  }
  return o;
}

function actionChain(actions: Record<string, any>[], st: (i: unknown) => State): FileAction {
  const specs = actions.map((a) => {
    const opts = { ...a.opts };
    if (opts.createdTime !== undefined) opts.createdTime = BigInt(opts.createdTime);
    const spec = { ...a, opts } as ActionSpec & Record<string, any>;
    if (a.kind === "copy") spec.from = st(a.from);
    if (a.kind === "mkfile") spec.data = new Uint8Array(Buffer.from(a.data ?? "", "base64"));
    return spec as ActionSpec;
  });
  let chain = FileAction.of(specs[0]);
  for (const s of specs.slice(1)) chain = chain.append(s);
  return chain;
}
