/**
 * Package commands with melange's names and flags: `keygen`, `sign`,
 * `index`, `sign-index` and `scan`.
 */
import type { Command } from "commander";
import type { IndexOpts, SignIndexOpts } from "./apk_run.ts";
import { action } from "./run.ts";

const list = (v: string, all: string[] = []) => [...all, ...v.split(",").filter(Boolean)];

/** Registers the package commands. */
export function register(program: Command): void {
  program
    .command("keygen")
    .description("Generate an RSA key pair for signing packages (NAME and NAME.pub)")
    .argument("[name]", "path of the private key (the public one is NAME.pub)", "melange.rsa")
    .option("--key-size <bits>", "RSA key size", "4096")
    .action(action(async (name: string, opts: { keySize: string }) => {
      const { keygen } = await import("./apk_run.ts");
      await keygen(name, opts);
    }));

  program
    .command("sign")
    .description("Sign (or re-sign) APK packages in place")
    .argument("<files...>", "the packages")
    .option("-k, --signing-key <key>", "RSA private key", "local-melange.rsa")
    .option("--sha1", "sign with RSA over SHA-1 (.SIGN.RSA.) instead of SHA-256")
    .action(action(async (files: string[], opts: { signingKey?: string; sha1?: boolean }) => {
      const { sign } = await import("./apk_run.ts");
      await sign(files, opts);
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
    .action(action(async (files: string[], opts: IndexOpts) => {
      const { index } = await import("./apk_run.ts");
      await index(files, opts);
    }));

  program
    .command("sign-index")
    .description("Sign a repository index in place (with --force, replace its signatures)")
    .argument("<index>", "the APKINDEX.tar.gz")
    .option("--signing-key <key>", "RSA private key", "melange.rsa")
    .option("-f, --force", "sign even when the index is already signed, replacing its signatures")
    .option("--sha1", "sign with RSA over SHA-1 instead of SHA-256")
    .action(action(async (index: string, opts: SignIndexOpts) => {
      const { signIndex } = await import("./apk_run.ts");
      await signIndex(index, opts);
    }));

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
      const { scan } = await import("./apk_run.ts");
      await scan(file, opts);
    }));
}
