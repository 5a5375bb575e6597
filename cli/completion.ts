/**
 * Shell completion scripts for bash, zsh and fish, written from the command
 * table itself so they never fall behind the commands and flags.
 */
import type { Command, Option } from "commander";

/** The shells `completion` writes scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@link SHELLS}. */
export type Shell = typeof SHELLS[number];

interface Node {
  /** Subcommand names from the root, e.g. ["env", "resolve"]. */
  path: string[];
  cmd: Command;
}

function walk(cmd: Command, path: string[] = []): Node[] {
  return [
    { path, cmd },
    ...cmd.commands.filter((c) => !hidden(c)).flatMap((c) => walk(c, [...path, c.name()])),
  ];
}

function hidden(c: Command): boolean {
  return (c as unknown as { _hidden?: boolean })._hidden === true;
}

function visibleOptions(cmd: Command): Option[] {
  return cmd.options.filter((o) => !o.hidden);
}

function flagsOf(cmd: Command): string[] {
  const flags = visibleOptions(cmd).flatMap((o) => [o.short, o.long].filter(Boolean) as string[]);
  return [...flags, "--help"];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The completion script for `shell`, for the program `root` (named by its `name()`). */
export function completionScript(root: Command, shell: Shell): string {
  switch (shell) {
    case "bash":
      return bashScript(root);
    case "zsh":
      // zsh runs the bash function through its bash compatibility layer.
      return `#compdef ${root.name()}\nautoload -U +X bashcompinit && bashcompinit\n` +
        bashScript(root);
    case "fish":
      return fishScript(root);
  }
}

function bashScript(root: Command): string {
  const name = root.name();
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const nodes = walk(root);
  const cases = nodes.map(({ path, cmd }) => {
    const subs = cmd.commands.filter((c) => !hidden(c)).map((c) => c.name());
    return `    ${quote(path.join(" "))}) cmds=${quote(subs.join(" "))}; opts=${
      quote(flagsOf(cmd).join(" "))
    } ;;`;
  });
  const choices = new Map<string, string[]>();
  for (const { cmd } of nodes) {
    for (const o of visibleOptions(cmd)) {
      if (o.argChoices && o.long && !choices.has(o.long)) choices.set(o.long, o.argChoices);
    }
  }
  const valueCases = [...choices].map(([flag, values]) =>
    `    ${flag}) COMPREPLY=($(compgen -W ${quote(values.join(" "))} -- "$cur")); return ;;`
  );
  return `# bash completion for ${name}: source <(${name} completion bash)
${fn}_at() {
  case "$1" in
${cases.join("\n")}
    *) cmds=''; opts='--help' ;;
  esac
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path='' i w cmds opts
  case "$prev" in
${valueCases.join("\n")}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    ${fn}_at "$path"
    if [[ $w != -* && " $cmds " == *" $w "* ]]; then path=\${path:+$path }$w; fi
  done
  ${fn}_at "$path"
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n $cmds ]]; then
    COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
  else
    COMPREPLY=()
  fi
}
complete -o default -F ${fn} ${name}
`;
}

function fishScript(root: Command): string {
  const name = root.name();
  const lines = [`# fish completion for ${name}: ${name} completion fish | source`];
  for (const { path, cmd } of walk(root)) {
    const subs = cmd.commands.filter((c) => !hidden(c));
    // Where this node's completions apply: its own command seen, none of its subcommands yet.
    const at = path.length === 0
      ? "__fish_use_subcommand"
      : `__fish_seen_subcommand_from ${path.at(-1)}` +
        (subs.length
          ? `; and not __fish_seen_subcommand_from ${subs.map((s) => s.name()).join(" ")}`
          : "");
    for (const s of subs) {
      lines.push(
        `complete -c ${name} -n ${quote(at)} -f -a ${s.name()} -d ${quote(s.description())}`,
      );
    }
    for (const o of visibleOptions(cmd)) {
      const parts = [`complete -c ${name} -n ${quote(at)}`];
      if (o.long) parts.push(`-l ${o.long.replace(/^--/, "")}`);
      if (o.short) parts.push(`-s ${o.short.replace(/^-/, "")}`);
      if (o.argChoices) parts.push(`-x -a ${quote(o.argChoices.join(" "))}`);
      else if (o.required || o.optional) parts.push("-r");
      parts.push(`-d ${quote(o.description)}`);
      lines.push(parts.join(" "));
    }
  }
  return lines.join("\n") + "\n";
}
