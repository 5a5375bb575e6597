/**
 * Users and groups of a build environment (`environment.accounts`), merged
 * into whatever `etc/passwd` and `etc/group` the packages installed, with
 * each user's home directory created and owned by them. As in melange,
 * an environment that names no users gets the `build` user (1000:1000).
 */
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A user of `environment.accounts.users`. */
export interface AccountUser {
  username: string;
  uid?: number;
  gid?: number;
  shell?: string;
  homedir?: string;
}

/** A group of `environment.accounts.groups`. */
export interface AccountGroup {
  groupname: string;
  gid?: number;
  members?: string[];
}

/** `environment.accounts`. */
export interface Accounts {
  users?: AccountUser[];
  groups?: AccountGroup[];
  "run-as"?: string;
}

/** The accounts melange gives an environment that names none. */
export const DEFAULT_ACCOUNTS: Required<Pick<Accounts, "users" | "groups">> = {
  users: [{ username: "build", uid: 1000, gid: 1000, homedir: "/home/build" }],
  groups: [{ groupname: "build", gid: 1000, members: ["build"] }],
};

function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Replaces or appends `line` in `lines` keyed by its first field. */
function upsert(lines: string[], line: string): void {
  const key = line.split(":")[0];
  const i = lines.findIndex((l) => l.split(":")[0] === key);
  if (i >= 0) lines[i] = line;
  else lines.push(line);
}

/** The users and groups an environment gets: its own, or melange's default `build`. */
export function effectiveAccounts(
  accounts: Accounts | undefined,
): { users: AccountUser[]; groups: AccountGroup[] } {
  const users = accounts?.users?.length ? accounts.users : DEFAULT_ACCOUNTS.users;
  const groups = accounts?.groups?.length
    ? accounts.groups
    : accounts?.users?.length
    ? []
    : DEFAULT_ACCOUNTS.groups;
  return { users, groups };
}

/** Writes passwd, group and home directories under `root`. */
export function writeAccounts(root: string, accounts: Accounts | undefined): void {
  const { users, groups } = effectiveAccounts(accounts);
  mkdirSync(join(root, "etc"), { recursive: true });
  const passwd = readLines(join(root, "etc/passwd"));
  const group = readLines(join(root, "etc/group"));
  if (!passwd.some((l) => l.startsWith("root:"))) passwd.unshift("root:x:0:0:root:/root:/bin/sh");
  if (!group.some((l) => l.startsWith("root:"))) group.unshift("root:x:0:");
  for (const g of groups) {
    upsert(group, `${g.groupname}:x:${g.gid ?? 1000}:${(g.members ?? []).join(",")}`);
  }
  for (const u of users) {
    const uid = u.uid ?? 1000;
    const gid = u.gid ?? uid;
    const home = u.homedir ?? `/home/${u.username}`;
    upsert(passwd, `${u.username}:x:${uid}:${gid}:${u.username}:${home}:${u.shell ?? "/bin/sh"}`);
    const dir = join(root, home);
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      if (Deno.uid?.() === 0) chownSync(dir, uid, gid);
    }
  }
  writeFileSync(join(root, "etc/passwd"), passwd.join("\n") + "\n");
  writeFileSync(join(root, "etc/group"), group.join("\n") + "\n");
}

/** User and group names by id, as a root's `etc/passwd` and `etc/group` give them. */
export interface AccountNames {
  users: Record<number, string>;
  groups: Record<number, string>;
}

/** The names of `root`'s users and groups (the first name of an id wins, as a lookup finds it). */
export function accountNames(root: string): AccountNames {
  const names = (file: string) => {
    const out: Record<number, string> = {};
    for (const line of readLines(join(root, file))) {
      const [name, , id] = line.split(":");
      const n = Number(id);
      if (name && id !== undefined && Number.isInteger(n) && !(n in out)) out[n] = name;
    }
    return out;
  };
  return { users: names("etc/passwd"), groups: names("etc/group") };
}
