/**
 * APK packages and repositories, in stages that pass plain data along (as
 * apko and go-apk do): versions and dependencies, `.PKGINFO`, indexes and
 * their signatures, repositories and a download cache, the resolver, the
 * installer, the package writer and dependency analysis.
 *
 * ```ts
 * import { loadIndex, parseRepository, resolve, universe } from "@melange2/melange2/apk";
 * ```
 */
export {
  compareVersions,
  type Dependency,
  formatDependency,
  isValidVersion,
  type Operator,
  parseDependency,
  satisfiesVersion,
} from "./version.ts";
export { formatPkgInfo, parsePkgInfo, type PkgInfo } from "./pkginfo.ts";
export {
  type ApkPackage,
  formatIndex,
  formatIndexEntry,
  parseIndex,
  readIndexArchive,
  resignIndexArchive,
  writeIndexArchive,
  type WriteIndexOptions,
} from "./index.ts";
export {
  type FoundSignature,
  type Keyring,
  publicKeyName,
  type SigningKey,
  type TrustOptions,
  verifySignatures,
} from "./signature.ts";
export {
  fetchPackage,
  fetchPackageFile,
  formatRepository,
  loadIndex,
  loadKeyring,
  parseRepository,
  type Repository,
  type RepositoryIndex,
  type RepositoryOptions,
  type RepositoryPackage,
} from "./repository.ts";
export { candidates, type PackageUniverse, resolve, universe } from "./resolve.ts";
export {
  environmentDigest,
  type EnvironmentSpec,
  installEnvironment,
  type ResolvedEnvironment,
  resolveEnvironment,
} from "./environment.ts";
export {
  generateKey,
  type PackageSpec,
  type WriteOptions,
  writePackage,
  writePackages,
  type WrittenPackage,
} from "./package.ts";
export { scanApk, type ScanResult } from "./scan.ts";
