/**
 * The SPDX 2.3 document melange puts in every package at
 * `var/lib/db/sbom/<name>-<version>.spdx.json`: the package, its regular
 * files with their checksums, and a package verification code. Unlike
 * melange's, it is valid SPDX 2.3 as SPDX tools read it (tools-golang and
 * spdx-tools, tests/sbom_test.ts): the document is `SPDXRef-DOCUMENT`, file
 * names are relative (`./usr/bin/hello`), file identifiers are unique, and
 * a license that is not SPDX is a `LicenseRef-` the document defines.
 */
import { createHash } from "node:crypto";
import { declaredLicense } from "./spdxlicense.ts";

/** A regular file of the package, with its digests (hex). */
export interface SbomFile {
  /** Path inside the package, without a leading slash. */
  path: string;
  sha1: string;
  sha256: string;
  sha512: string;
}

/** What the document describes. */
export interface SbomPackage {
  name: string;
  /** Full version, `1.2.3-r0`. */
  version: string;
  arch: string;
  /** The licenses, one per copyright entry (melange's AND of them, made SPDX). */
  licenses?: string[];
  /** Purl namespace (melange uses the distribution's name). */
  namespace?: string;
  sourceDateEpoch: number;
  /** The build file the package was built from (melange's build configuration package). */
  config?: ConfigFileRef;
}

/**
 * The build file as melange's SBOMs name it: a package (purpose INSTALL)
 * the APK is DESCRIBED_BY, which `rebuild` reads back.
 */
export interface ConfigFileRef {
  /** The file's path as given on the command line (`crane.yaml`). */
  path: string;
  /** Commit of its repository (`--git-commit`, else HEAD, else `unknown`). */
  commit: string;
  /** `--git-repo-url` (default `https://unknown/unknown/unknown`, as melange). */
  repositoryUrl: string;
  /** SPDX license of the file itself (`--license`, default `NOASSERTION`). */
  license: string;
}

/**
 * The purl of a build file: `pkg:github/<owner>/<repo>@<commit>#<path>`, as
 * melange writes it for a GitHub URL. Of any URL, the last path segment is
 * the repository and the ones before it the owner (melange itself mangles a
 * URL that is not GitHub's into its namespace).
 */
export function configPurl(c: ConfigFileRef): string {
  const segments = c.repositoryUrl.replace(/^[a-z+]+:\/\/[^/]*\/?/i, "").split("/").filter(Boolean);
  const name = (segments.at(-1) ?? "unknown").replace(/\.git$/, "");
  const owner = segments.length > 1 ? segments.slice(0, -1).join("/") : "unknown";
  const subpath = c.path.split("/").filter((s) => s && s !== "." && s !== "..")
    .map(encodeURIComponent).join("/");
  const enc = (s: string) => encodeURIComponent(s.toLowerCase());
  return `pkg:github/${owner.split("/").map(enc).join("/")}/${enc(name)}@${
    encodeURIComponent(c.commit)
  }${subpath ? `#${subpath}` : ""}`;
}

/** melange's stringToIdentifier: characters SPDX ids may not hold become `-`. */
const spdxId = (s: string) => s.replace(/[^A-Za-z0-9.-]/g, "-");

/** melange's supplier and originator: `Organization: ` and the namespace in title case. */
function organization(namespace: string | undefined): string {
  const ns = namespace ?? "unknown";
  return `Organization: ${
    ns.replace(/\p{L}+/gu, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
  }`;
}

/** The SPDX package of the build file. */
function configPackage(c: ConfigFileRef, namespace: string | undefined) {
  return {
    SPDXID: spdxId(`SPDXRef-Package-Melange-${c.path}-${c.commit}`),
    name: c.path,
    versionInfo: c.commit,
    filesAnalyzed: false,
    licenseConcluded: "NOASSERTION",
    licenseDeclared: c.license || "NOASSERTION",
    downloadLocation: "NOASSERTION",
    copyrightText: "",
    externalRefs: [{
      referenceCategory: "PACKAGE_MANAGER",
      referenceLocator: configPurl(c),
      referenceType: "purl",
    }],
    originator: organization(namespace),
    supplier: organization(namespace),
    primaryPackagePurpose: "INSTALL",
  };
}

/** Where the document goes inside the package. */
export function sbomPath(p: { name: string; version: string }): string {
  return `var/lib/db/sbom/${p.name}-${p.version}.spdx.json`;
}

/**
 * A file's identifier: its position among the sorted files keeps two paths
 * that read alike (`a_b`, `a-b`) apart, the path after it keeps it readable.
 */
const fileId = (path: string, i: number) =>
  `SPDXRef-File-${i}-${path.replace(/[^A-Za-z0-9.-]/g, "-")}`;

/** The digests of a file's contents. */
export function sbomDigests(data: Uint8Array): Omit<SbomFile, "path"> {
  const h = (alg: string) => createHash(alg).update(data).digest("hex");
  return { sha1: h("sha1"), sha256: h("sha256"), sha512: h("sha512") };
}

/** The document as JSON text (2-space indented, stable order). */
export function spdxDocument(pkg: SbomPackage, files: SbomFile[]): string {
  const id = `${pkg.name}-${pkg.version}`;
  const pkgId = `SPDXRef-Package-${id.replace(/[^A-Za-z0-9.-]/g, "-")}`;
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const config = pkg.config ? configPackage(pkg.config, pkg.namespace) : undefined;
  const ids = sorted.map((f, i) => fileId(f.path, i));
  const license = declaredLicense(pkg.licenses ?? []);
  const verification = createHash("sha1")
    .update(sorted.map((f) => f.sha1).sort().join(""))
    .digest("hex");
  const doc = {
    SPDXID: "SPDXRef-DOCUMENT",
    name: `apk-${id}`,
    spdxVersion: "SPDX-2.3",
    creationInfo: {
      created: new Date(pkg.sourceDateEpoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      creators: ["Tool: melange2", "Organization: melange2"],
      licenseListVersion: "3.22",
    },
    dataLicense: "CC0-1.0",
    documentNamespace: `https://spdx.org/spdxdocs/melange2/${id}`,
    documentDescribes: [pkgId],
    files: sorted.map((f, i) => ({
      SPDXID: ids[i],
      fileName: `./${f.path}`,
      licenseConcluded: "NOASSERTION",
      checksums: [
        { algorithm: "SHA1", checksumValue: f.sha1 },
        { algorithm: "SHA256", checksumValue: f.sha256 },
        { algorithm: "SHA512", checksumValue: f.sha512 },
      ],
    })),
    packages: [{
      SPDXID: pkgId,
      name: pkg.name,
      versionInfo: pkg.version,
      filesAnalyzed: true,
      hasFiles: ids,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: license.expression,
      downloadLocation: "NOASSERTION",
      copyrightText: "NOASSERTION",
      externalRefs: [{
        referenceCategory: "PACKAGE_MANAGER",
        referenceLocator: `pkg:apk/${
          pkg.namespace ?? "unknown"
        }/${pkg.name}@${pkg.version}?arch=${pkg.arch}`,
        referenceType: "purl",
      }],
      packageVerificationCode: { packageVerificationCodeValue: verification },
    }, ...(config ? [config] : [])],
    relationships: [
      ...ids.map((fid) => ({
        spdxElementId: pkgId,
        relationshipType: "CONTAINS",
        relatedSpdxElement: fid,
      })),
      ...(config
        ? [{
          spdxElementId: pkgId,
          relationshipType: "DESCRIBED_BY",
          relatedSpdxElement: config.SPDXID,
        }]
        : []),
    ],
    ...(license.refs.length
      ? {
        hasExtractedLicensingInfos: license.refs.map((r) => ({
          licenseId: r.id,
          name: r.text,
          extractedText: `The license named "${r.text}" in the build file.`,
        })),
      }
      : {}),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
