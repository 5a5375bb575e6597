/**
 * melange2 as a JSR package: `deno publish --dry-run` passes (type checks
 * and JSR's rules: scoped name, license, no globals-changing directives, no
 * slow types), publishes only the program and library (no tests, scripts or
 * CI), and every symbol of every entry point has a doc comment.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { repoPath } from "./shared.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const config = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")));

Deno.test("publish: a clean dry run of the scoped package, with only the program and library", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: repoPath(),
  }).output();
  const text = decode(out.stdout) + decode(out.stderr);
  assertEquals(out.code, 0, text);
  assertStringIncludes(text, "Dry run complete");
  assertEquals(config.name, "@melange2/melange2");
  const files = [...text.matchAll(/file:\/\/\S+/g)].map((m) => m[0].slice(repoPath().length + 8));
  assert(files.includes("main.ts") && files.includes("LICENSE"), files.join(" "));
  assert(files.some((f) => f.startsWith("proto/")), "the protocol definitions are published");
  for (const f of files) assert(!/^(tests|scripts|\.ci|docs|examples)\//.test(f), `publishes ${f}`);
});

Deno.test("publish: every exported symbol of every entry point has a doc comment", async () => {
  const entries = Object.values(config.exports as Record<string, string>).map((p) => repoPath(p));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...entries],
    cwd: repoPath(),
  }).output();
  assertEquals(out.code, 0, decode(out.stderr));
  const doc = JSON.parse(decode(out.stdout)) as {
    nodes: Record<string, { symbols: { name: string; declarations: { jsDoc?: unknown }[] }[] }>;
  };
  const undocumented: string[] = [];
  let count = 0;
  for (const [module, { symbols }] of Object.entries(doc.nodes)) {
    for (const s of symbols) {
      count++;
      if (!s.declarations.some((d) => d.jsDoc)) undocumented.push(`${module}: ${s.name}`);
    }
  }
  assert(count > 100, `only ${count} symbols found`);
  assertEquals(undocumented, []);
});
