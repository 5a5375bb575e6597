/**
 * Package commands with melange's names and flags: `keygen`, `sign`,
 * `index`, `sign-index` and `scan`.
 */
import type { Command } from "commander";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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
import { publicKeyName, signatureMember, type SigningKey } from "../lib/apk/signature.ts";
import { UserError } from "../lib/errors.ts";
import { action } from "./run.ts";

function readFile(path: string, what = ""): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(
      `${what}${path}: ${
        (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message
      }`,
    );
  }
}

function signingKey(path: string | undefined): SigningKey {
  if (!path) throw new UserError("--signing-key is required");
  return {
    name: publicKeyName(path),
    pem: new TextDecoder().decode(readFile(path, "--signing-key ")),
  };
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
    .argument("[name]", "file name of the private key", "melange.rsa")
    .option("--key-size <bits>", "RSA key size", "4096")
    .action(action(async (name: string, opts: { keySize: string }) => {
      if (existsSync(name)) throw new UserError(`${name} already exists; not overwriting it`);
      const bits = Number(opts.keySize);
      if (!Number.isInteger(bits) || bits < 2048) {
        throw new UserError(`--key-size ${opts.keySize}: expected at least 2048`);
      }
      const { privateKey, publicKey } = await generateKey(name, ".", bits);
      console.error(`wrote ${privateKey} and ${publicKey}`);
    }));

  program
    .command("sign")
    .description("Sign (or re-sign) APK packages in place")
    .argument("<files...>", "the packages")
    .option("--signing-key <key>", "RSA private key")
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
    .option("-m, --merge", "keep the entries of an existing index at --output")
    .option("-a, --arch <arch>", "only index packages of this architecture")
    .action(
      action(
        async (
          files: string[],
          opts: { output: string; signingKey?: string; merge?: boolean; arch?: string },
        ) => {
          let pkgs = await Promise.all(files.map(indexEntryOf));
          if (opts.arch) pkgs = pkgs.filter((p) => p.arch === opts.arch);
          if (opts.merge && existsSync(opts.output)) {
            const old = await readIndexArchive(readFile(opts.output), new Map(), {
              allowUntrusted: true,
              source: opts.output,
            });
            const have = new Set(pkgs.map((p) => `${p.name}-${p.version}`));
            pkgs = [...old.filter((p) => !have.has(`${p.name}-${p.version}`)), ...pkgs];
          }
          pkgs.sort((
            a,
            b,
          ) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
          const bytes = await writeIndexArchive(pkgs, {
            signingKey: opts.signingKey ? signingKey(opts.signingKey) : undefined,
          });
          replaceFile(opts.output, bytes);
          console.error(`wrote ${opts.output} with ${pkgs.length} packages`);
        },
      ),
    );

  program
    .command("sign-index")
    .description("Sign (or re-sign) a repository index in place")
    .argument("<index>", "the APKINDEX.tar.gz")
    .option("--signing-key <key>", "RSA private key")
    .option("--sha1", "sign with RSA over SHA-1 instead of SHA-256")
    .action(action(async (index: string, opts: { signingKey?: string; sha1?: boolean }) => {
      const key = signingKey(opts.signingKey);
      const bytes = readFile(index);
      await readIndexArchive(bytes, new Map(), { allowUntrusted: true, source: index }); // must be an index
      replaceFile(
        index,
        await resignIndexArchive(bytes, key, opts.sha1 ? "sha1" : "sha256", index),
      );
      console.error(`signed ${index}`);
    }));

  program
    .command("scan")
    .description("Re-run the dependency analysis on a package and compare it with its .PKGINFO")
    .argument("<file>", "the package")
    .option("--no-provides", "analyze as with options.no-provides")
    .option("--no-depends", "analyze as with options.no-depends")
    .option("--no-commands", "analyze as with options.no-commands")
    .action(
      action(
        async (file: string, opts: { provides: boolean; depends: boolean; commands: boolean }) => {
          const result = await scanApk(readFile(file), {
            source: file,
            options: {
              noProvides: !opts.provides,
              noDepends: !opts.depends,
              noCommands: !opts.commands,
            },
          });
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
            console.error(
              `warning: ${file}: the data part does not match the datahash of .PKGINFO`,
            );
          }
          await Deno.stdout.write(
            new TextEncoder().encode(
              `${result.info.pkgname}-${result.info.pkgver}\n${lines.join("\n")}\n`,
            ),
          );
        },
      ),
    );
}
