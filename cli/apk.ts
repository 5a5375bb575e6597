/**
 * Package commands with melange's names and flags: `keygen`, `sign`,
 * `index`, `sign-index` and `scan`.
 */
import type { Command } from "commander";
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
import { action } from "./run.ts";

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

/** Registers the package commands. */
export function register(program: Command): void {
  program
    .command("keygen")
    .description("Generate an RSA key pair for signing packages (NAME and NAME.pub)")
    .argument("[name]", "path of the private key (the public one is NAME.pub)", "melange.rsa")
    .option("--key-size <bits>", "RSA key size", "4096")
    .action(action(async (name: string, opts: { keySize: string }) => {
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
    }));

  program
    .command("sign")
    .description("Sign (or re-sign) APK packages in place")
    .argument("<files...>", "the packages")
    .option("-k, --signing-key <key>", "RSA private key", "local-melange.rsa")
    .option("--sha1", "sign with RSA over SHA-1 (.SIGN.RSA.) instead of SHA-256")
    .action(action(async (files: string[], opts: { signingKey?: string; sha1?: boolean }) => {
      const key = signingKey(opts.signingKey);
      for (const file of files) {
        const bytes = readFile(file);
        let members;
        try {
          members = gzipMembers(bytes, 2);
        } catch (err) {
          throw new UserError(`${file}: ${(err as Error).message}`);
        }
        const signed = await signaturesOf(members[0]?.data ?? new Uint8Array()).catch(() =>
          undefined
        );
        const rest = bytes.subarray(signed ? members[1]?.offset ?? bytes.length : 0);
        const control = signed ? members[1] : members[0];
        if (!control) throw new UserError(`${file}: no control part`);
        await readApk(bytes, new Map(), { allowUntrusted: true, source: file }); // validates the rest
        const sig = await signatureMember(control.raw, key, opts.sha1 ? "sha1" : "sha256");
        replaceFile(file, Buffer.concat([sig, rest]));
        console.error(`signed ${file}`);
      }
    }));

  program
    .command("index")
    .description("Write a repository index (APKINDEX.tar.gz) of APK packages")
    .argument("<files...>", "the packages")
    .option("-o, --output <file>", "the index to write", "APKINDEX.tar.gz")
    .option("--signing-key <key>", "RSA private key that signs the index")
    .option("-s, --source <file>", "existing index whose entries --merge keeps (default: --output)")
    .option("-m, --merge", "keep the entries of the --source index")
    .option("-a, --arch <arch>", "only index packages of this architecture")
    .action(
      action(
        async (
          files: string[],
          opts: {
            output: string;
            source?: string;
            signingKey?: string;
            merge?: boolean;
            arch?: string;
          },
        ) => {
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
        },
      ),
    );

  program
    .command("sign-index")
    .description("Sign a repository index in place (with --force, replace its signatures)")
    .argument("<index>", "the APKINDEX.tar.gz")
    .option("--signing-key <key>", "RSA private key", "melange.rsa")
    .option("-f, --force", "sign even when the index is already signed, replacing its signatures")
    .option("--sha1", "sign with RSA over SHA-1 instead of SHA-256")
    .action(
      action(
        async (index: string, opts: { signingKey: string; force?: boolean; sha1?: boolean }) => {
          const key = signingKey(opts.signingKey);
          const bytes = readFile(index);
          await readIndexArchive(bytes, new Map(), { allowUntrusted: true, source: index }); // must be an index
          const members = gzipMembers(bytes, 2);
          const signed = await signaturesOf(members[0]?.data ?? new Uint8Array()).catch(() =>
            undefined
          );
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
        },
      ),
    );

  program
    .command("scan")
    .description(
      "Re-run the dependency analysis on built packages and compare it with their .PKGINFO",
    )
    .argument("<file>", "a build file (its packages are read from --repository-append), or an .apk")
    .option(
      "-r, --repository-append <dir>",
      "where a build file's packages are, as <dir>/<arch>/",
      "./packages",
    )
    .option("-p, --package <name>", "only this package or subpackage of the build file")
    .option("--arch <arch>", "architecture of the build file's packages (repeatable)", list)
    .option("--no-provides", "analyze as with options.no-provides")
    .option("--no-depends", "analyze as with options.no-depends")
    .option("--no-commands", "analyze as with options.no-commands")
    .action(action(async (file: string, opts: Record<string, any>) => {
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
    }));
}

const list = (v: string, all: string[] = []) => [...all, ...v.split(",").filter(Boolean)];

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
