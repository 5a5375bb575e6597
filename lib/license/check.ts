/**
 * melange's license check: the licenses of a source tree's license files,
 * compared with what the build file's `package.copyright` declares.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Classifier, licenseType } from "./classify.ts";
import { findLicenseFiles } from "./files.ts";

/** One `package.copyright` entry, as the build file writes it. */
export interface CopyrightEntry {
  license?: string;
  "license-path"?: string;
  "detection-override"?: string;
}

/** A license found in a file. */
export interface DetectedLicense {
  name: string;
  confidence: number;
  /** The file, relative to the tree. */
  source: string;
  type: string;
}

/** A difference between what was found and what the file declares (melange's LicenseDiff). */
export interface LicenseDiff {
  path: string;
  /** What the build file says ("" when it says nothing for this file). */
  is: string;
  /** What was detected. */
  should: string;
  override: string;
  newType: string;
}

/** melange trusts a match from this confidence on. */
export const CONFIDENT = 0.9;

/**
 * The licenses of the tree's license files (and of the files the build file
 * names in `license-path`), in the order the files were found.
 */
export function collectLicenses(
  root: string,
  classifier: Classifier,
  opts: { deep: boolean; copyright?: CopyrightEntry[] },
): DetectedLicense[] {
  const files = findLicenseFiles(root, opts.deep).map((f) => f.path);
  for (const c of opts.copyright ?? []) {
    const p = c["license-path"];
    if (p && !files.includes(p)) files.push(p);
  }
  const out: DetectedLicense[] = [];
  for (const source of files) {
    let text: string;
    try {
      text = readFileSync(join(root, source), "utf8");
    } catch {
      continue; // a license-path the tree does not have
    }
    for (const m of classifier.identify(text)) {
      out.push({ ...m, source, type: m.name === "NOASSERTION" ? "" : licenseType(m.name) });
    }
  }
  return out;
}

/** The declared licenses, `A AND B` / `A OR B` split into one entry each (melange's). */
function declared(copyright: CopyrightEntry[]) {
  return copyright.flatMap((c) =>
    (c.license ?? "").split(/\s+(?:AND|OR)\s+/).map((name) => ({
      name,
      source: c["license-path"] ?? "",
      override: c["detection-override"] ?? "",
    }))
  );
}

/** melange's getLicenseDifferences: confident detections the build file does not account for. */
export function licenseDifferences(
  detected: DetectedLicense[],
  copyright: CopyrightEntry[],
): LicenseDiff[] {
  const mine = declared(copyright);
  const diffs: LicenseDiff[] = [];
  for (const d of detected) {
    if (d.confidence < CONFIDENT) continue;
    let found = false;
    for (const m of mine) {
      if (d.source === m.source) {
        if (d.name === m.name) found = true;
        else {
          if (m.override === "" || m.override !== d.name) {
            diffs.push({
              path: d.source,
              is: m.name,
              should: d.name,
              override: m.override,
              newType: d.type,
            });
          }
          found = true;
          break;
        }
      } else if (m.source === "" && d.name === m.name) found = true;
    }
    if (!found) {
      diffs.push({ path: d.source, is: "", should: d.name, override: "", newType: d.type });
    }
  }
  return diffs;
}

/** The report melange logs, line by line. */
export function reportLines(
  detected: DetectedLicense[],
  diffs: LicenseDiff[] | undefined,
): string[] {
  if (!detected.length) return ["no license files detected"];
  const lines = detected.map((d) =>
    `  ${d.source}: ${d.name} (${d.confidence.toFixed(6)}${
      d.confidence < CONFIDENT ? " low-confidence" : ""
    }) (${d.type})`
  );
  if (diffs) {
    if (diffs.length) {
      lines.push("detected license differences:");
      for (const d of diffs) {
        if (d.is === "") lines.push(`  ${d.path}: ${d.should} not found`);
        else if (d.override !== "") {
          lines.push(
            `  ${d.path}: requested override from ${d.override} to ${d.is}, but now detecting as ${d.should}`,
          );
        } else lines.push(`  ${d.path}: ${d.should} != ${d.is}`);
        if (d.newType !== "unencumbered" && d.newType !== "notice") {
          lines.push(
            `  NOTE! ${d.path}: ${d.should} might be a restrictive license, please proceed with caution`,
          );
        }
      }
      lines.push("detected license differences, please check the configuration");
    } else lines.push("no license differences detected");
  }
  const low = detected.filter((d) => d.confidence < CONFIDENT);
  if (low.length) {
    lines.push("following license files could not be confidently assessed:");
    for (const d of low) {
      lines.push(`  ${d.source}: ${d.name} (${d.confidence.toFixed(6)}) (${d.type})`);
    }
    lines.push("could not identify some licenses, please check the configuration");
  }
  return lines;
}
