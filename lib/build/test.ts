/**
 * `melange2 test`: the `test:` pipelines of a package and of each subpackage,
 * each run on BuildKit in an environment holding the built package (from the
 * out directory, used as a repository) plus the test's own packages.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CompiledBuild } from "../config/mod.ts";
import { Client, ProgressWriter } from "../buildkit/mod.ts";
import { localUniqueId, sharedKey } from "../buildkit/identity.ts";
import { marshal } from "../llb/mod.ts";
import { UserError, withContext } from "../errors.ts";
import { platformOf } from "./arch.ts";
import { ensureDaemon } from "./daemon.ts";
import { prepareEnvironment } from "./environment.ts";
import { buildGraph, LOCAL_NAMES } from "./graph.ts";
import { testSource } from "./source.ts";
import { exportWorkspace } from "./workspace.ts";
import { entitlementsFor, environmentSpec, type RunOptions, stepBase } from "./plan.ts";
import { allOrFirstError, progressFor, selectArchs } from "./perarch.ts";
import { flattenSteps, type PipelineStep } from "./steps.ts";
import { testResultLine } from "./report.ts";

/** What `melange2 test` takes. */
export interface TestOptions extends RunOptions {
  /** Only this package or subpackage. */
  only?: string;
  /** melange's --workspace-dir: the workspace as the tests left it, in `<dir>/<arch>`. */
  workspaceDir?: string;
}

/** One package's tests. */
interface TestTarget {
  name: string;
  version: string;
  environment: CompiledBuild["environment"];
  pipeline: PipelineStep[];
}

/** Runs the tests; throws a UserError naming the package and step when one fails. */
export async function runTests(opts: TestOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  if (!existsSync(opts.configFile)) throw new UserError(`${opts.configFile}: no such file`);
  const selected = await selectArchs(opts, { extraRepositories: [resolve(opts.outDir)] });
  const progress = progressFor(opts.progress, selected.length);
  await allOrFirstError(selected, opts.signal, async ([arch, compiled], signal) => {
    const archOpts = { ...opts, progress, signal };
    const targets = testTargets(compiled).filter((t) => !opts.only || t.name === opts.only);
    if (opts.only && !targets.length) {
      throw new UserError(`${opts.configFile}: no package or subpackage "${opts.only}" has tests`);
    }
    // Every package is tested and gets its line; the first failure is the error.
    let failure: unknown;
    for (const target of targets) {
      const t0 = performance.now();
      const error = await runTarget(target, arch, archOpts).then(
        () => undefined,
        (err) => withContext(`testing ${target.name}-${target.version} (${arch})`, err),
      );
      if (error && (signal.aborted || !(error instanceof UserError))) throw error;
      failure ??= error;
      const seconds = (performance.now() - t0) / 1000;
      const message = error ? (error as Error).message : undefined;
      log(testResultLine({ ...target, arch, seconds, error: message }));
    }
    if (failure) throw failure;
  });
}

/** The package and subpackages that have test pipelines. */
function testTargets(compiled: CompiledBuild): TestTarget[] {
  const version = `${compiled.package.version}-r${compiled.package.epoch}`;
  const all = [
    { name: compiled.package.name, test: compiled.test },
    ...compiled.subpackages.map((s) => ({ name: s.name, test: s.test })),
  ];
  return all.filter((t) => t.test?.pipeline?.length).map((t) => ({
    name: t.name,
    version,
    // A test without its own repositories uses the build's, as a user expects.
    environment: inheritContents(t.test!.environment, compiled.environment),
    pipeline: t.test!.pipeline,
  }));
}

function inheritContents(
  test: Partial<CompiledBuild["environment"]> | undefined,
  buildEnv: CompiledBuild["environment"],
): CompiledBuild["environment"] {
  const contents: Partial<CompiledBuild["environment"]["contents"]> = test?.contents ?? {};
  return {
    ...buildEnv,
    ...test,
    contents: {
      repositories: contents.repositories?.length
        ? contents.repositories
        : buildEnv.contents?.repositories ?? [],
      keyring: contents.keyring?.length ? contents.keyring : buildEnv.contents?.keyring ?? [],
      packages: contents.packages ?? [],
    },
    environment: { ...buildEnv.environment, ...test?.environment },
  } as CompiledBuild["environment"];
}

async function runTarget(
  target: TestTarget,
  arch: string,
  opts: TestOptions,
): Promise<void> {
  const log = opts.log ?? (() => {});
  const outRepo = resolve(opts.outDir);
  if (!existsSync(join(outRepo, arch, "APKINDEX.tar.gz"))) {
    throw new UserError(`${join(outRepo, arch)} has no APKINDEX.tar.gz: build the package first`);
  }
  const spec = environmentSpec({ environment: target.environment }, arch, {
    repositoryAppend: [outRepo, ...(opts.repositoryAppend ?? [])],
    keyringAppend: opts.keyringAppend,
    packageAppend: [`${target.name}=${target.version}`, ...(opts.packageAppend ?? [])],
    ignoreSignatures: opts.ignoreSignatures,
    apkCacheDir: opts.apkCacheDir,
  });
  // The out directory is the user's own build: its packages may be unsigned.
  spec.trustedRepositories = [outRepo];
  const env = await prepareEnvironment(spec, log);
  const steps = flattenSteps(target.pipeline, stepBase({ environment: target.environment }, 0));
  // melange's test copies --source-dir only (no default, no .melangeignore).
  const sourceDir = testSource(opts)?.dir;
  const graph = buildGraph({
    steps,
    packages: [],
    debug: opts.debug,
    privileged: opts.privileged,
    withSource: sourceDir !== undefined,
    withCacheDir: opts.cacheDir !== undefined,
    localIds: {
      environment: localUniqueId(env.root),
      source: sourceDir ? localUniqueId(sourceDir) : undefined,
      cache: opts.cacheDir ? localUniqueId(opts.cacheDir) : undefined,
    },
  });
  const locals: Record<string, string> = { [LOCAL_NAMES.environment]: env.root };
  if (sourceDir) locals[LOCAL_NAMES.source] = sourceDir;
  if (opts.cacheDir) locals[LOCAL_NAMES.cache] = resolve(opts.cacheDir);
  const { addr } = await ensureDaemon(opts.connect?.addr ?? Deno.env.get("BUILDKIT_HOST"), { log });
  const client = Client.connect({ ...opts.connect, addr });
  try {
    log(`testing ${target.name}-${target.version} (${arch}): ${steps.length} steps`);
    const platform = platformOf(arch);
    await client.solve({
      definition: marshal(graph.after.at(-1)!, { platform }).bytes,
      locals,
      entitlements: entitlementsFor(opts.privileged),
      progress: new ProgressWriter(opts.progress ?? "auto"),
      signal: opts.signal,
      sharedKey: sharedKey(Object.values(locals)),
    });
    if (opts.workspaceDir) {
      // As melange: every package's test shares <dir>/<arch>; the last one tested is left there.
      const dest = join(resolve(opts.workspaceDir), arch);
      await exportWorkspace(client, graph, dest, { platform, locals, signal: opts.signal });
      log(`wrote the workspace of ${target.name}'s test to ${join(opts.workspaceDir, arch)}`);
    }
  } finally {
    client.close();
  }
}
