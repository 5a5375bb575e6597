/** The compiled form of a melange file: what the build and test commands run. */
import type { Scriptlets } from "../apk/package.ts";

/** A compiled pipeline step: substituted, condition decided, `uses:` expanded into `pipeline`. */
export interface CompiledStep {
  name?: string;
  uses?: string;
  runs?: string;
  workingDirectory?: string;
  environment?: Record<string, string>;
  pipeline?: CompiledStep[];
}

/** A user of `environment.accounts`. */
export interface CompiledUser {
  username: string;
  uid?: number;
  gid?: number;
  shell?: string;
  homedir?: string;
}

/** A build or test environment. */
export interface CompiledEnvironment {
  contents: { repositories: string[]; keyring: string[]; packages: string[] };
  accounts?: {
    users?: CompiledUser[];
    groups?: { groupname: string; gid?: number; members?: string[] }[];
    "run-as"?: string;
  };
  environment: Record<string, string>;
}

/** A package's own fields, keys as in YAML. */
export interface CompiledPackage {
  name: string;
  version: string;
  epoch: number;
  description?: string;
  url?: string;
  commit?: string;
  "target-architecture"?: string[];
  copyright?: {
    license?: string;
    paths?: string[];
    attestation?: string;
    "license-path"?: string;
  }[];
  dependencies?: {
    runtime?: string[];
    provides?: string[];
    replaces?: string[];
    "provider-priority"?: string;
    "replaces-priority"?: string;
  };
  options?: { "no-provides"?: boolean; "no-depends"?: boolean; "no-commands"?: boolean };
  scriptlets?: Scriptlets;
}

/** A test section. */
export interface CompiledTest {
  environment: CompiledEnvironment;
  pipeline: CompiledStep[];
}

/** A subpackage, its range unrolled and its condition true. */
export interface CompiledSubpackage extends Partial<Omit<CompiledPackage, "name">> {
  name: string;
  pipeline: CompiledStep[];
  test?: CompiledTest;
}

/** A melange file compiled for one architecture. */
export interface CompiledBuild {
  package: CompiledPackage;
  arch: string;
  environment: CompiledEnvironment;
  pipeline: CompiledStep[];
  subpackages: CompiledSubpackage[];
  test?: CompiledTest;
}
