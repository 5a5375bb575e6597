/**
 * Dependency resolution: from the requested names (the "world") to the
 * closure of packages to install, in install order (dependencies first).
 * Candidates are ranked as apko ranks them: the real package over a
 * provider, then the highest (provided) version, then provider priority,
 * then a stable order (name, then repository order), so the result is
 * deterministic.
 */
import { UserError } from "../errors.ts";
import type { RepositoryIndex, RepositoryPackage } from "./repository.ts";
import {
  compareVersions,
  type Dependency,
  formatDependency,
  parseDependency,
  satisfiesVersion,
} from "./version.ts";

/** Everything the indexes offer, by the names packages are asked for. */
export interface PackageUniverse {
  /** Packages by name and by every name they provide. */
  providers: Map<string, { pkg: RepositoryPackage; version: string }[]>;
}

/** Builds the lookup table of `indexes` (in repository order) for `arch`. */
export function universe(indexes: RepositoryIndex[], arch: string): PackageUniverse {
  const providers = new Map<string, { pkg: RepositoryPackage; version: string }[]>();
  const add = (name: string, pkg: RepositoryPackage, version: string) => {
    let list = providers.get(name);
    if (!list) providers.set(name, list = []);
    list.push({ pkg, version });
  };
  for (const idx of indexes) {
    for (const p of idx.packages) {
      if (p.arch !== arch && p.arch !== "noarch") continue;
      const pkg: RepositoryPackage = { ...p, repository: idx.repository };
      add(p.name, pkg, p.version);
      for (const prov of p.provides) {
        const eq = prov.indexOf("=");
        // An unversioned provide satisfies only unversioned dependencies.
        add(eq < 0 ? prov : prov.slice(0, eq), pkg, eq < 0 ? "" : prov.slice(eq + 1));
      }
    }
  }
  return { providers };
}

const id = (p: RepositoryPackage) => `${p.name}-${p.version}`;

/** The candidates for `dep`, best first. */
export function candidates(u: PackageUniverse, dep: Dependency): RepositoryPackage[] {
  const list = (u.providers.get(dep.name) ?? []).filter(({ pkg, version }) => {
    if ((pkg.repository.tag ?? undefined) !== dep.tag && pkg.repository.tag !== undefined) {
      return false;
    }
    if (!dep.op) return true;
    return version !== "" && satisfiesVersion(dep, version);
  });
  const order = (x: RepositoryPackage) => x.name === dep.name ? 0 : 1;
  // Versions only rank providers that version what they provide; an
  // unversioned virtual (ifupdown-any) is decided by provider priority.
  const versioned = (c: { version: string }) => c.version !== "";
  list.sort((a, b) =>
    order(a.pkg) - order(b.pkg) ||
    (versioned(a) && versioned(b) ? compareVersions(b.version, a.version) : 0) ||
    (b.pkg.providerPriority ?? 0) - (a.pkg.providerPriority ?? 0) ||
    compareVersions(b.pkg.version, a.pkg.version) ||
    (a.pkg.name < b.pkg.name ? -1 : a.pkg.name > b.pkg.name ? 1 : 0)
  );
  const seen = new Set<string>();
  return list.map((c) => c.pkg).filter((p) => !seen.has(id(p)) && seen.add(id(p)));
}

/** Whether installed `p` satisfies `dep`. */
function provides(p: RepositoryPackage, dep: Dependency): boolean {
  if (p.name === dep.name) return satisfiesVersion(dep, p.version);
  for (const prov of p.provides) {
    const eq = prov.indexOf("=");
    const name = eq < 0 ? prov : prov.slice(0, eq);
    if (name !== dep.name) continue;
    if (!dep.op) return true;
    if (eq >= 0 && satisfiesVersion(dep, prov.slice(eq + 1))) return true;
  }
  return false;
}

/**
 * Resolves `world` to the packages to install, dependencies before the
 * packages that need them. Errors explain what is missing and for whom.
 */
export function resolve(u: PackageUniverse, world: string[]): RepositoryPackage[] {
  const chosen: RepositoryPackage[] = [];
  const byName = new Map<string, RepositoryPackage>();
  const conflicts: { dep: Dependency; by: string }[] = [];
  const order: RepositoryPackage[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();

  const satisfied = (dep: Dependency) => chosen.find((p) => provides(p, dep));

  const place = (p: RepositoryPackage) => {
    // Post-order: a package goes after its dependencies; cycles are cut where they close.
    if (done.has(id(p)) || visiting.has(id(p))) return;
    visiting.add(id(p));
    for (const d of p.depends) {
      const dep = parseDep(d, id(p));
      if (dep.conflict) continue;
      const target = satisfied(dep);
      if (target) place(target);
    }
    visiting.delete(id(p));
    done.add(id(p));
    order.push(p);
  };

  const need = (text: string, by: string) => {
    const dep = parseDep(text, by);
    if (dep.conflict) {
      conflicts.push({ dep: { ...dep, conflict: false }, by });
      return;
    }
    if (satisfied(dep)) return;
    const found = candidates(u, dep);
    const pick = found.find((c) => !byName.has(c.name));
    if (!pick) {
      const clash = found.find((c) => byName.has(c.name));
      if (clash) {
        throw new UserError(
          `${formatDependency(dep)} (required by ${by}) needs ${id(clash)}, but ${
            id(byName.get(clash.name)!)
          } is already chosen`,
        );
      }
      throw new UserError(`no package provides ${formatDependency(dep)} (required by ${by})`);
    }
    chosen.push(pick);
    byName.set(pick.name, pick);
    for (const d of pick.depends) need(d, id(pick));
  };

  for (const w of world) need(w, "world");
  for (const { dep, by } of conflicts) {
    const hit = chosen.find((p) => p.name === dep.name && satisfiesVersion(dep, p.version));
    if (hit) {
      throw new UserError(`${id(hit)} conflicts with ${by} (which has !${formatDependency(dep)})`);
    }
  }
  for (const w of world) {
    const dep = parseDep(w, "world");
    const p = dep.conflict ? undefined : satisfied(dep);
    if (p) place(p);
  }
  for (const p of chosen) place(p);
  return order;
}

function parseDep(text: string, by: string): Dependency {
  try {
    return parseDependency(text);
  } catch (err) {
    throw new UserError(`${(err as Error).message} (required by ${by})`);
  }
}
