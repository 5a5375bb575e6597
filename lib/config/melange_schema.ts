/**
 * The melange file format as data: every field melange's config package
 * accepts, with its type. Fields of apko's image configuration that melange
 * passes through without using are accepted as they are.
 */
import { S, type Spec } from "./schema.ts";

const strs = S.list(S.str);

/** A pipeline step (recursive: steps nest). */
export const stepSpec: Spec & { t: "object" } = { t: "object", fields: {} };
Object.assign(stepSpec.fields, {
  if: S.str,
  name: S.str,
  uses: S.str,
  with: S.map(S.str),
  runs: S.str,
  pipeline: S.list(stepSpec),
  inputs: S.map(S.obj({ description: S.str, default: S.str, required: S.bool })),
  needs: S.obj({ packages: strs }),
  label: S.str,
  assertions: S.obj({ "required-steps": S.int }),
  "working-directory": S.str,
  environment: S.map(S.str),
});

/** A pipeline file (`uses:` target): a step plus its description. */
export const pipelineFileSpec: Spec = {
  t: "object",
  fields: { ...stepSpec.fields, description: S.str },
};
(pipelineFileSpec as { fields: Record<string, Spec> }).fields.pipeline = S.list(pipelineFileSpec);

const accounts = S.obj({
  "run-as": S.str,
  users: S.list(
    S.obj({ username: S.str, uid: S.uint, gid: S.uint, shell: S.str, homedir: S.str }, [
      "username",
    ]),
  ),
  groups: S.list(S.obj({ groupname: S.str, gid: S.uint, members: strs }, ["groupname"])),
});

/** apko's image configuration, as `environment:` uses it. */
export const environmentSpec = S.obj({
  contents: S.obj({
    repositories: strs,
    build_repositories: strs,
    runtime_repositories: strs,
    keyring: strs,
    packages: strs,
    baseimage: S.any,
  }),
  accounts,
  environment: S.map(S.str),
  entrypoint: S.any,
  cmd: S.str,
  "stop-signal": S.str,
  "work-dir": S.str,
  archs: strs,
  paths: S.any,
  include: S.str,
  volumes: strs,
  annotations: S.map(S.str),
  layering: S.any,
  certificates: S.any,
  "vcs-url": S.str,
  "os-release": S.any,
});

const dependencies = S.obj({
  runtime: strs,
  provides: strs,
  replaces: strs,
  "provider-priority": S.str,
  "replaces-priority": S.str,
});
const options = S.obj({
  "no-provides": S.bool,
  "no-depends": S.bool,
  "no-commands": S.bool,
  "no-versioned-shlib-deps": S.bool,
});
const scriptlets = S.obj({
  trigger: S.obj({ script: S.str, paths: strs }),
  "pre-install": S.str,
  "post-install": S.str,
  "pre-deinstall": S.str,
  "post-deinstall": S.str,
  "pre-upgrade": S.str,
  "post-upgrade": S.str,
});
const checks = S.obj({ disabled: strs, enabled: strs });
const setcap = S.list(S.obj({ path: S.str, add: S.map(S.str), reason: S.str }));
const resources = S.obj({ cpu: S.str, cpumodel: S.str, memory: S.str, disk: S.str });
const copyright = S.list(S.obj({
  paths: strs,
  attestation: S.str,
  license: S.str,
  "license-path": S.str,
  "detection-override": S.str,
}));
const cpe = S.obj({
  part: S.str,
  vendor: S.str,
  product: S.str,
  edition: S.str,
  language: S.str,
  sw_edition: S.str,
  target_sw: S.str,
  target_hw: S.str,
  other: S.str,
});
const monitor = {
  "strip-prefix": S.str,
  "strip-suffix": S.str,
  "tag-filter-prefix": S.str,
  "tag-filter-contains": S.str,
};
/** `update:`, read by the tools that bump versions; checked so typos are caught. */
const update = S.obj({
  enabled: S.bool,
  manual: S.bool,
  "require-sequential": S.bool,
  shared: S.bool,
  "version-separator": S.str,
  "ignore-regex-patterns": strs,
  "release-monitor": S.obj({
    identifier: S.int,
    "strip-prefix": S.str,
    "strip-suffix": S.str,
    "version-filter-contains": S.str,
    "version-filter-prefix": S.str,
  }),
  github: S.obj({ ...monitor, identifier: S.str, "tag-filter": S.str, "use-tag": S.bool }),
  git: S.obj(monitor),
  oci: S.obj({ ...monitor, identifier: S.str }),
  version_data: S.obj({
    version_format: S.str,
    sources: S.list(S.obj({
      name: S.str,
      stream: S.str,
      ignore: strs,
      commit_source: S.str,
      use_release: S.bool,
    })),
  }),
  "version-transform": S.list(S.obj({ match: S.str, replace: S.str })),
  "exclude-reason": S.str,
  schedule: S.obj({ reason: S.str, period: S.str }),
  "enable-prerelease-tags": S.bool,
});
const test = S.obj({ environment: environmentSpec, pipeline: S.list(stepSpec) });

/** `package:`. */
export const packageSpec = S.obj({
  name: S.str,
  version: S.str,
  epoch: S.uint,
  description: S.str,
  annotations: S.map(S.str),
  url: S.str,
  commit: S.str,
  "target-architecture": strs,
  copyright,
  dependencies,
  options,
  scriptlets,
  checks,
  cpe,
  setcap,
  timeout: S.str,
  resources,
  "test-resources": resources,
}, ["name", "version"]);

/** A whole melange file. */
export const configSpec = S.obj({
  package: packageSpec,
  environment: environmentSpec,
  capabilities: S.obj({ add: strs, drop: strs }),
  pipeline: S.list(stepSpec),
  subpackages: S.list(S.obj({
    if: S.str,
    range: S.str,
    name: S.str,
    pipeline: S.list(stepSpec),
    dependencies,
    options,
    scriptlets,
    description: S.str,
    annotations: S.map(S.str),
    url: S.str,
    commit: S.str,
    checks,
    test,
    setcap,
    copyright,
  }, ["name"])),
  data: S.list(S.obj({ name: S.str, items: S.map(S.str) }, ["name"])),
  update,
  vars: S.map(S.str),
  "var-transforms": S.list(
    S.obj({ from: S.str, match: S.str, replace: S.str, to: S.str }, ["from", "match", "to"]),
  ),
  options: S.map(S.obj({
    vars: S.map(S.str),
    environment: S.obj({ contents: S.obj({ packages: S.obj({ add: strs, remove: strs }) }) }),
  })),
  test,
}, ["package"]);
