/**
 * Generated build-file graphs for the many-package tests and benchmark:
 * shell-only packages on the local repository's busybox, each needing some
 * others in its build environment. A package's build copies what its
 * dependencies installed into its own output (so a dependency missing from
 * the environment fails the build, and its bytes show in the result), may
 * sleep to stand for real work, and may fail on purpose.
 */
import { join } from "node:path";

/** One generated package. */
export interface GraphPackage {
  name: string;
  /** Packages its build environment installs (by name). */
  needs: string[];
  /** Seconds its build sleeps. */
  seconds?: number;
  /** Its build exits non-zero. */
  fail?: boolean;
  /** Also a subpackage `<name>-dev` (needs of others may name it). */
  dev?: boolean;
}

/** The local repository (scripts/local_repo.ts) the packages' environments read. */
export interface LocalRepo {
  repository: string;
  publicKey: string;
}

/** The text of one package's build file. */
export function buildFileText(p: GraphPackage, repo: LocalRepo): string {
  const copies = p.needs.map((n) => {
    const base = n.replace(/-dev$/, "");
    return `      cat /usr/share/graph/${base} >> "\${{targets.destdir}}/usr/share/graph/${p.name}"`;
  });
  const lines = [
    `package:`,
    `  name: ${p.name}`,
    `  version: 1.0.0`,
    `  epoch: 0`,
    `  description: generated package ${p.name}`,
    `  copyright:`,
    `    - license: Apache-2.0`,
    `environment:`,
    `  contents:`,
    `    repositories:`,
    `      - ${repo.repository}`,
    `    keyring:`,
    `      - ${repo.publicKey}`,
    `    packages:`,
    `      - busybox`,
    ...p.needs.map((n) => `      - ${n}`),
    `pipeline:`,
    `  - name: build ${p.name}`,
    `    runs: |`,
    `      mkdir -p "\${{targets.destdir}}/usr/share/graph"`,
    `      echo "${p.name}" > "\${{targets.destdir}}/usr/share/graph/${p.name}"`,
    ...copies,
    ...(p.seconds ? [`      sleep ${p.seconds}`] : []),
    ...(p.fail ? [`      echo "${p.name} fails on purpose" >&2`, `      exit 3`] : []),
  ];
  if (p.dev) {
    lines.push(
      `subpackages:`,
      `  - name: ${p.name}-dev`,
      `    description: headers of ${p.name}`,
      `    pipeline:`,
      `      - runs: |`,
      `          mkdir -p "\${{targets.subpkgdir}}/usr/include"`,
      `          echo "${p.name}" > "\${{targets.subpkgdir}}/usr/include/${p.name}.h"`,
      `    dependencies:`,
      `      runtime:`,
      `        - ${p.name}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Writes every package's file as `<dir>/<name>.yaml`; returns the files. */
export function writeGraph(dir: string, pkgs: GraphPackage[], repo: LocalRepo): string[] {
  Deno.mkdirSync(dir, { recursive: true });
  return pkgs.map((p) => {
    const file = join(dir, `${p.name}.yaml`);
    Deno.writeTextFileSync(file, buildFileText(p, repo));
    return file;
  });
}

/**
 * The tests' 12-package graph: two diamonds (a -> b, c -> d; d -> e, f -> g),
 * a `-dev` subpackage need, a failing package (`bad`) with two dependents
 * (`after-bad`, and `after-after-bad` behind it), and a lone package.
 */
export function twelvePackages(): GraphPackage[] {
  return [
    { name: "a", needs: [], dev: true },
    { name: "b", needs: ["a-dev"] },
    { name: "c", needs: ["a"] },
    { name: "d", needs: ["b", "c"] },
    { name: "e", needs: ["d"] },
    { name: "f", needs: ["d"] },
    { name: "g", needs: ["e", "f"] },
    { name: "bad", needs: ["a"], fail: true },
    { name: "after-bad", needs: ["bad", "c"] },
    { name: "after-after-bad", needs: ["after-bad"] },
    { name: "lone", needs: [] },
    { name: "h", needs: ["g", "lone"] },
  ];
}

/**
 * A layered synthetic graph of `n` packages for the benchmark: each package
 * needs up to `fanIn` packages of earlier layers, picked by a fixed
 * pseudo-random sequence, and sleeps 1-5 s (same sequence): the same graph
 * every run.
 */
export function syntheticGraph(
  n: number,
  opts: { fanIn?: number; minS?: number; maxS?: number; seed?: number } = {},
): GraphPackage[] {
  let x = opts.seed ?? 12345;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const min = opts.minS ?? 1;
  const max = opts.maxS ?? 5;
  const pkgs: GraphPackage[] = [];
  for (let i = 0; i < n; i++) {
    const needs = new Set<string>();
    const k = i === 0 ? 0 : Math.floor(rand() * ((opts.fanIn ?? 2) + 1));
    for (let j = 0; j < k; j++) needs.add(pkgs[Math.floor(rand() * i)].name);
    pkgs.push({
      name: `p${String(i).padStart(4, "0")}`,
      needs: [...needs].sort(),
      seconds: min + Math.floor(rand() * (max - min + 1)),
    });
  }
  return pkgs;
}
