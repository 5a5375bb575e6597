/**
 * Go's `path` package semantics (Clean, Join), which BuildKit's client uses
 * for every path it writes. Node's `path.posix` differs (it keeps trailing
 * slashes in join, for one), and digests depend on the exact strings.
 */

/** Go's path.Clean. */
export function clean(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  let dotdot = 0; // leading ".." kept in a relative path
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > dotdot) out.pop();
      else if (!rooted) {
        out.push("..");
        dotdot++;
      }
    } else out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Go's path.Join: the non-empty elements joined with `/`, cleaned; "" when all are empty. */
export function join(...elems: string[]): string {
  const parts = elems.filter((e) => e !== "");
  return parts.length ? clean(parts.join("/")) : "";
}

/** Go's path.IsAbs. */
export function isAbs(p: string): boolean {
  return p.startsWith("/");
}
