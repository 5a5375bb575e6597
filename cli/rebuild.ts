/**
 * `melange2 rebuild APK...`: melange's (experimental, hidden) rebuild. Each
 * package is built again from what it records (its `.melange.yaml`, its
 * `.PKGINFO` build date and architecture, its SBOM's build file package:
 * path, commit, repository, license, namespace), into `--out-dir`, and then
 * compared with the original; any difference fails the command (unless
 * `--diff=false`). A package whose origin was rebuilt already is only
 * compared.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fsErrorText, UserError } from "../lib/errors.ts";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import { addConnectFlags, connectOptions, interruptSignal } from "./buildkit_flags.ts";
import { action } from "./run.ts";

function readPackage(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(`${path}: ${fsErrorText(err)}`);
  }
}

/** A pflag boolean: `--diff=false`. */
function bool(v: string): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new InvalidArgumentError(`expected true or false, not "${v}"`);
}

/** Registers `rebuild`. */
export function register(program: Command): void {
  addConnectFlags(
    program
      .command("rebuild")
      .description("Rebuild packages from the build recorded in them, and compare (experimental)")
      .argument("<apks...>", "the packages"),
  )
    .option(
      "--out-dir <dir>",
      "where the rebuilt packages go, as <out>/<arch>/",
      "./rebuilt-packages/",
    )
    .option("--source-dir <dir>", "directory copied into the workspace", ".")
    .option("--signing-key <key>", "RSA private key that signs the rebuilt packages")
    .option("--diff [bool]", "compare each package with its rebuild; differences fail", bool, true)
    .addOption(
      new Option("--progress <mode>", "progress output")
        .choices(["auto", "tty", "plain", "rawjson", "quiet"]).default("auto"),
    )
    .action(action(async (apks: string[], opts: Record<string, any>) => {
      const { rebuildInfo, diffApks } = await import("../lib/build/rebuild.ts");
      const { build } = await import("../lib/build/build.ts");
      const interrupt = interruptSignal();
      const rebuilt = new Set<string>();
      const failures: string[] = [];
      try {
        for (const apk of apks) {
          const info = await rebuildInfo(readPackage(apk), apk);
          const { pkginfo } = info;
          const origin = pkginfo.origin ?? pkginfo.pkgname;
          if (rebuilt.has(origin)) {
            console.error(`not rebuilding ${apk}: its origin ${origin} was rebuilt already`);
          } else {
            console.error(`rebuilding ${apk} from ${info.config.path} at ${info.config.commit}`);
            const dir = mkdtempSync(join(tmpdir(), "melange2-rebuild-"));
            try {
              const file = join(dir, basename(info.config.path) || "melange.yaml");
              writeFileSync(file, info.configYaml);
              await build({
                configFile: file,
                sbomConfig: info.config,
                archs: [pkginfo.arch],
                sourceDir: opts.sourceDir,
                outDir: opts.outDir,
                signingKey: opts.signingKey,
                namespace: info.namespace || "unknown",
                gitCommit: pkginfo.commit || undefined,
                buildDate: info.buildDate,
                progress: opts.progress as ProgressMode,
                connect: connectOptions(opts),
                signal: interrupt.signal,
                log: (line) => console.error(line),
              });
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
            rebuilt.add(origin);
          }
          if (!opts.diff) continue;
          const again = join(opts.outDir, pkginfo.arch, `${pkginfo.pkgname}-${pkginfo.pkgver}.apk`);
          const diffs = await diffApks(readPackage(apk), readPackage(again));
          if (diffs.length) failures.push(`${apk} and ${again} differ:\n  ${diffs.join("\n  ")}`);
          else console.error(`${apk}: the rebuild ${again} is identical`);
        }
      } finally {
        interrupt.dispose();
      }
      if (failures.length) throw new UserError(failures.join("\n"));
    }));
}
