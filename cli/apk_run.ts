/** What the package commands run, loaded when one runs (cli/apk.ts registers them). */
import { basename, dirname, join } from "node:path";
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { readApk } from "../lib/apk/archive.ts";
import { gzipMembers } from "../lib/apk/gzip.ts";
import {
  type ApkPackage,
  readIndexArchive,
  resignIndexArchive,
  signaturesOf,
  writeIndexArchive,
} from "../lib/apk/index.ts";
import { generateKey, indexRecord } from "../lib/apk/package.ts";
import { compareScan, scanApk } from "../lib/apk/scan.ts";
import { loadSigningKey, signatureMember, type SigningKey } from "../lib/apk/signature.ts";
import { fsErrorText, UserError } from "../lib/errors.ts";

function readFile(path: string, what = ""): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(
      `${what}${path}: ${fsErrorText(err)}`,
    );
  }
}

function signingKey(path: string | undefined): SigningKey {
  if (!path) throw new UserError("--signing-key is required");
  return loadSigningKey(path);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Writes `bytes` to `path` through a temporary file, so a failure leaves the old file. */
function replaceFile(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A package's index entry, from its file. */
async function indexEntryOf(file: string): Promise<ApkPackage> {
  const bytes = readFile(file);
  const apk = await readApk(bytes, new Map(), { allowUntrusted: true, source: file });
  return indexRecord(apk.info, apk.checksum, bytes.length);
}

/** The built packages of a build file, with the analysis options and dependencies it declares. */
async function packagesOfBuildFile(file: string, opts: Record<string, any>) {
  const { loadConfig, compile } = await import("../lib/config/mod.ts");
  const { hostArch, normalizeArch } = await import("../lib/build/arch.ts");
  const config = await loadConfig(file);
  const out = [];
  for (const arch of (opts.arch?.length ? opts.arch : [hostArch()]).map(normalizeArch)) {
    const compiled = await compile(config, { arch, pipelineDirs: [] });
    const version = `${compiled.package.version}-r${compiled.package.epoch}`;
    const all = [compiled.package, ...compiled.subpackages];
    const pkgs = all.filter((p) => !opts.package || p.name === opts.package);
    if (!pkgs.length) {
      throw new UserError(`${file}: no package or subpackage "${opts.package}"`);
    }
    for (const p of pkgs) {
      const o = p.options ?? {};
      out.push({
        path: join(opts.repositoryAppend, arch, `${p.name}-${version}.apk`),
        options: {
          noProvides: !!o["no-provides"],
          noDepends: !!o["no-depends"],
          noCommands: !!o["no-commands"],
        },
        declared: { runtime: p.dependencies?.runtime, provides: p.dependencies?.provides },
      });
    }
  }
  return out;
}

/** Scans one package and prints what differs from its .PKGINFO. */
async function printScan(
  file: string,
  opts: {
    options: { noProvides: boolean; noDepends: boolean; noCommands: boolean };
    declared?: { runtime?: string[]; provides?: string[] };
  },
): Promise<void> {
  const result = await scanApk(readFile(file), { source: file, ...opts });
  const lines = compareScan(result).map((l) =>
    `${l.mark} ${l.field.padEnd(8)} ${l.value}${
      l.mark === "+"
        ? "  (found, not in .PKGINFO)"
        : l.mark === "-"
        ? "  (in .PKGINFO, not found)"
        : ""
    }`
  );
  if (!result.datahashMatches) {
    console.error(`warning: ${file}: the data part does not match the datahash of .PKGINFO`);
  }
  await Deno.stdout.write(
    new TextEncoder().encode(
      `${result.info.pkgname}-${result.info.pkgver}\n${lines.join("\n")}\n`,
    ),
  );
}

/** `keygen`: a new RSA key pair, NAME and NAME.pub. */
export async function keygen(name: string, opts: { keySize: string }): Promise<void> {
  const bits = Number(opts.keySize);
  if (!Number.isInteger(bits) || bits < 2048) {
    throw new UserError(
      `--key-size ${opts.keySize}: expected at least 2048 (smaller keys are not safe)`,
    );
  }
  for (const path of [name, `${name}.pub`]) {
    if (existsSync(path)) {
      throw new UserError(
        `${path} already exists; not overwriting it (remove it, or name another key)`,
      );
    }
  }
  if (!isDir(dirname(name))) {
    throw new UserError(`${name}: directory ${dirname(name)} does not exist`);
  }
  console.error(`generating a ${bits}-bit RSA key pair, please wait...`);
  const { privateKey, publicKey } = await generateKey(basename(name), dirname(name), bits);
  console.error(`wrote private key ${privateKey} and public key ${publicKey}`);
}

/** `sign`: sign packages in place. */
export async function sign(
  files: string[],
  opts: { signingKey?: string; sha1?: boolean },
): Promise<void> {
  const key = signingKey(opts.signingKey);
  for (const file of files) {
    const bytes = readFile(file);
    let members;
    try {
      members = gzipMembers(bytes, 2);
    } catch (err) {
      throw new UserError(`${file}: ${(err as Error).message}`);
    }
    const signed = await signaturesOf(members[0]?.data ?? new Uint8Array()).catch(() => undefined);
    const rest = bytes.subarray(signed ? members[1]?.offset ?? bytes.length : 0);
    const control = signed ? members[1] : members[0];
    if (!control) throw new UserError(`${file}: no control part`);
    await readApk(bytes, new Map(), { allowUntrusted: true, source: file }); // validates the rest
    const sig = await signatureMember(control.raw, key, opts.sha1 ? "sha1" : "sha256");
    replaceFile(file, Buffer.concat([sig, rest]));
    console.error(`signed ${file}`);
  }
}

/** `index`'s flags. */
export interface IndexOpts {
  output: string;
  source?: string;
  signingKey?: string;
  merge?: boolean;
  arch?: string;
}

/** `index`: write a repository index of packages. */
export async function index(files: string[], opts: IndexOpts): Promise<void> {
  const key = opts.signingKey ? signingKey(opts.signingKey) : undefined;
  let pkgs = await Promise.all(files.map(indexEntryOf));
  if (opts.arch) pkgs = pkgs.filter((p) => p.arch === opts.arch);
  const source = opts.source ?? opts.output;
  if (opts.merge && (opts.source !== undefined || existsSync(source))) {
    const old = await readIndexArchive(readFile(source, "--source "), new Map(), {
      allowUntrusted: true,
      source,
    });
    const have = new Set(pkgs.map((p) => `${p.name}-${p.version}`));
    pkgs = [...old.filter((p) => !have.has(`${p.name}-${p.version}`)), ...pkgs];
  }
  pkgs.sort((
    a,
    b,
  ) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
  const bytes = await writeIndexArchive(pkgs, {
    signingKey: key,
  });
  replaceFile(opts.output, bytes);
  console.error(`wrote ${opts.output} with ${pkgs.length} packages`);
}

/** `sign-index`'s flags. */
export interface SignIndexOpts {
  signingKey: string;
  force?: boolean;
  sha1?: boolean;
}

/** `sign-index`: sign an index in place. */
export async function signIndex(index: string, opts: SignIndexOpts): Promise<void> {
  const key = signingKey(opts.signingKey);
  const bytes = readFile(index);
  await readIndexArchive(bytes, new Map(), { allowUntrusted: true, source: index }); // must be an index
  const members = gzipMembers(bytes, 2);
  const signed = await signaturesOf(members[0]?.data ?? new Uint8Array()).catch(() => undefined);
  if (signed?.length && !opts.force) {
    // melange leaves a signed index alone unless told to replace its signatures.
    console.error(
      `${index} is already signed; not changing it (--force replaces its signatures)`,
    );
    return;
  }
  replaceFile(
    index,
    await resignIndexArchive(bytes, key, opts.sha1 ? "sha1" : "sha256", index),
  );
  console.error(`signed ${index}`);
}

/** `scan`: the dependency analysis again, compared with the packages' .PKGINFO. */
export async function scan(file: string, opts: Record<string, any>): Promise<void> {
  const flags = {
    noProvides: !opts.provides,
    noDepends: !opts.depends,
    noCommands: !opts.commands,
  };
  if (file.endsWith(".apk")) {
    await printScan(file, { options: flags });
    return;
  }
  for (const { path, options, declared } of await packagesOfBuildFile(file, opts)) {
    await printScan(path, {
      options: {
        noProvides: flags.noProvides || options.noProvides,
        noDepends: flags.noDepends || options.noDepends,
        noCommands: flags.noCommands || options.noCommands,
      },
      declared,
    });
  }
}
