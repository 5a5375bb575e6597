/** What `melange2 rebuild` runs, loaded when it runs (cli/rebuild.ts registers it). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fsErrorText, UserError } from "../lib/errors.ts";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import { connectOptions, interruptSignal } from "./buildkit_flags.ts";

/** A package's bytes; a user error names the file when it cannot be read. */
function readPackage(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(`${path}: ${fsErrorText(err)}`);
  }
}

/** `rebuild`: each package built again from what it records, then compared. */
export async function rebuildCommand(apks: string[], opts: Record<string, any>): Promise<void> {
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
}
