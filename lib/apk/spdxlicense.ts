/**
 * License expressions as melange v0.59.1 puts them in its SBOMs: each
 * copyright entry's license kept when it is an SPDX license expression, else
 * turned into a `LicenseRef-` of its letters, the entries joined with AND.
 * An SPDX document must then define each `LicenseRef-` it uses, so the
 * originals are returned too.
 */
import { createHash } from "node:crypto";
import { isSpdxExpression } from "./spdxexpr.ts";

export { isSpdxExpression };

/** A `LicenseRef-` made from a license that is not SPDX, and the text it stands for. */
export interface LicenseRef {
  id: string;
  text: string;
}

/** A declared license expression and the `LicenseRef-`s it uses. */
export interface DeclaredLicense {
  /** `NOASSERTION` when no license is known. */
  expression: string;
  refs: LicenseRef[];
}

/**
 * melange's toLicenseRef: the letters, digits, dots and dashes of the name
 * (spaces and underscores as dashes), or when none remain the first 8 bytes
 * of its SHA-256 in hex.
 */
export function licenseRef(license: string): string {
  let s = "";
  for (const ch of license) {
    if (/[A-Za-z0-9.-]/.test(ch)) s += ch;
    else if (ch === " " || ch === "_") s += "-";
  }
  if (!s) {
    s = createHash("sha256").update(license).digest("hex").slice(0, 16);
  }
  return `LicenseRef-${s}`;
}

/** The SBOM's declared license for a package's licenses (one per copyright entry). */
export function declaredLicense(licenses: string[]): DeclaredLicense {
  const parts: string[] = [];
  const refs = new Map<string, string>();
  for (const l of licenses.filter(Boolean)) {
    if (isSpdxExpression(l)) {
      parts.push(l);
      continue;
    }
    const id = licenseRef(l);
    refs.set(id, refs.has(id) ? `${refs.get(id)}\n${l}` : l);
    parts.push(id);
  }
  return {
    expression: parts.length ? parts.join(" AND ") : "NOASSERTION",
    refs: [...refs].map(([id, text]) => ({ id, text })),
  };
}
