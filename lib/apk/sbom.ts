/**
 * The SPDX 2.3 document melange puts in every package at
 * `var/lib/db/sbom/<name>-<version>.spdx.json`: the package, its regular
 * files with their checksums, and a package verification code.
 */
import { createHash } from "node:crypto";

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
  license?: string;
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

const fileId = (path: string) => `SPDXRef-File--${path.replace(/[^A-Za-z0-9.-]/g, "-")}`;

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
  const verification = createHash("sha1")
    .update(sorted.map((f) => f.sha1).sort().join(""))
    .digest("hex");
  const doc = {
    SPDXID: `SPDXRef-DOCUMENT-apk-${id}`,
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
    files: sorted.map((f) => ({
      SPDXID: fileId(f.path),
      fileName: `/${f.path}`,
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
      hasFiles: sorted.map((f) => fileId(f.path)),
      licenseConcluded: "NOASSERTION",
      licenseDeclared: pkg.license || "NOASSERTION",
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
      ...sorted.map((f) => ({
        spdxElementId: pkgId,
        relationshipType: "CONTAINS",
        relatedSpdxElement: fileId(f.path),
      })),
      ...(config
        ? [{
          spdxElementId: pkgId,
          relationshipType: "DESCRIBED_BY",
          relatedSpdxElement: config.SPDXID,
        }]
        : []),
    ],
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
