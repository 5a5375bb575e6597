import { program } from "../main.ts";

Deno.test("the CLI assembles and knows its name", () => {
  const root = program();
  if (root.name() !== "melange2") throw new Error(`unexpected name ${root.name()}`);
});
