/**
 * melange's `license-check --fix`: the build file's `package.copyright`
 * rewritten from the confident detections, the rest of the file (comments,
 * order, style) left as it was.
 */
import { YAML } from "../yamlmod.ts";
import { CONFIDENT, type DetectedLicense } from "./check.ts";

const { parseDocument } = YAML;

/**
 * The file's text with `package.copyright` replaced: `flat`, one
 * `{license, license-path}` entry per confident detection; `simple`, one
 * entry of every detected license joined by AND (sorted). Undefined when
 * nothing is confident enough to write.
 */
export function fixedCopyright(
  text: string,
  detected: DetectedLicense[],
  format: "flat" | "simple",
): string | undefined {
  const confident = detected.filter((d) => d.confidence >= CONFIDENT);
  if (!confident.length) return undefined;
  const doc = parseDocument(text);
  const entries = format === "simple"
    ? [{ license: [...new Set(confident.map((d) => d.name))].sort().join(" AND ") }]
    : confident.map((d) => ({ license: d.name, "license-path": d.source }));
  const node = doc.createNode(entries);
  if (format === "flat") {
    for (const item of node.items) {
      (item as { flow?: boolean }).flow = true;
    }
  }
  doc.setIn(["package", "copyright"], node);
  return doc.toString({ lineWidth: 0 });
}
