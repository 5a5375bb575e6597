import { program } from "../main.ts";
import { assertEquals } from "./assert.ts";
import { groups, groupsFor } from "../cli/mod.ts";

Deno.test("the CLI assembles every command for help, and only what a command needs otherwise", async () => {
  const root = await program();
  assertEquals(root.name(), "melange2");
  const all = root.commands.map((c) => c.name());
  for (const g of groups) {
    for (const name of g.commands) assertEquals(all.includes(name), true, name);
  }
  assertEquals(groupsFor(["--version"]), []);
  assertEquals(groupsFor(["compile", "x.yaml"]).flatMap((g) => g.commands), ["compile"]);
  assertEquals(
    groupsFor(["--progress", "plain", "test", "x"]).length,
    groups.length,
    "a flag value is not a command",
  );
  assertEquals(groupsFor(["test", "x"]).flatMap((g) => g.commands), ["build", "test"]);
});
