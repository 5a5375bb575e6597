/** melange's --build-option: the file's options: patch, applied when compiling. */
import { assertEquals } from "./assert.ts";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";

const FILE = `package:
  name: opts
  version: 1.0.0
  epoch: 0
vars:
  flavor: plain
  extra: none
environment:
  contents:
    packages: [busybox, gcc]
options:
  fancy:
    vars:
      flavor: fancy
      extra: yes-please
    environment:
      contents:
        packages:
          add: [clang]
          remove: [gcc]
pipeline:
  - if: \${{options.fancy.enabled}} == 'true'
    runs: echo fancy \${{ vars.extra }}
  - runs: echo \${{vars.flavor}} \${{options.fancy.enabled}}
`;

const compile = (buildOptions?: string[]) =>
  compileSync(loadConfigText(FILE, "opts.yaml"), { arch: "x86_64", buildOptions });

Deno.test("build options: off by default; on, they set options.NAME.enabled, vars and packages", () => {
  const off = compile();
  assertEquals(off.pipeline.map((s) => s.runs), ["echo plain false"]);
  assertEquals(off.environment.contents.packages, ["busybox", "gcc"]);

  const on = compile(["fancy"]);
  // A var the file already had was replaced when the file was read (as in melange); spaced
  // inside the braces, it is left to the steps, which see the option's value. (The step is
  // compiled when the option is off too, as melange does: ${{vars.extra}} must be defined.)
  assertEquals(on.pipeline.map((s) => s.runs), ["echo fancy yes-please", "echo plain true"]);
  assertEquals(on.environment.contents.packages, ["busybox", "clang"]);

  // An option the file does not define is only marked enabled, as melange does.
  assertEquals(compile(["nope"]).pipeline.map((s) => s.runs), ["echo plain false"]);
});
