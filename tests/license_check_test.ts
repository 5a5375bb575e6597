/**
 * `license-check`: melange's license file rules, license names from the
 * SPDX list's texts, differences against package.copyright, --fix; and the
 * clear refusal where melange would fetch sources.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { withTempDir } from "./support/tmp.ts";
import { runCli } from "./cli.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import { findLicenseFiles, isLicenseFile } from "../lib/license/files.ts";
import { Classifier, licenseType, spdxCorpus } from "../lib/license/classify.ts";
import { licenseDifferences } from "../lib/license/check.ts";

const corpus = await spdxCorpus();
const classifier = new Classifier(corpus);

/** MIT as a project writes it: its own copyright line, its own line breaks. */
const MIT = `MIT License

Copyright (c) 2021 Jane Doe <jane@example.com>

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

Deno.test("license files: melange's names and weights", () => {
  assertEquals(isLicenseFile("LICENSE"), [true, 1]);
  assertEquals(isLicenseFile("LICENSE.md"), [true, 0.95]);
  assertEquals(isLicenseFile("COPYING"), [true, 0.9]);
  assertEquals(isLicenseFile("LICENSE-APACHE"), [true, 0.7]);
  assertEquals(isLicenseFile("LICENSE.rst"), [true, 0.8]);
  assertEquals(isLicenseFile("src/license.go"), [false, 0], "ignored extension");
  assertEquals(isLicenseFile("node_modules/x/LICENSE"), [false, 0], "vendored");
  assertEquals(isLicenseFile("node_modules/x/LICENSE", true), [true, 1]);
  assertEquals(isLicenseFile("rust-1.86.0-src/LICENSE"), [false, 0], "rust-src");
  assertEquals(isLicenseFile("README.md"), [false, 0]);
  withTempDir((dir) => {
    for (const p of ["LICENSE", "sub/COPYING", "sub/deep/LICENSE", "vendor/LICENSE", "README"]) {
      mkdirSync(`${dir}/${p.split("/").slice(0, -1).join("/")}`, { recursive: true });
      writeFileSync(`${dir}/${p}`, "x");
    }
    assertEquals(findLicenseFiles(dir, false).map((f) => [f.path, f.weight]), [
      ["LICENSE", 1.5],
      ["sub/COPYING", 0.9],
    ]);
    assertEquals(
      findLicenseFiles(dir, true).map((f) => f.path),
      ["LICENSE", "sub/deep/LICENSE", "vendor/LICENSE", "sub/COPYING"],
    );
  });
});

Deno.test("classifier: names the SPDX license a file holds, with melange's confidence scale", () => {
  const [mit] = classifier.identify(MIT);
  assertEquals(mit.name, "MIT");
  assert(mit.confidence >= 0.9, `confident: ${mit.confidence}`);
  const [apache] = classifier.identify(corpus["Apache-2.0"].licenseText);
  assertEquals(apache.name, "Apache-2.0");
  // The same text under several identifiers: the shortest, as licenseclassifier names it.
  assertEquals(classifier.identify(corpus["GPL-2.0-only"].licenseText)[0].name, "GPL-2.0");
  // Half of MIT is not confidently MIT.
  const half = classifier.identify(MIT.slice(0, MIT.length / 2))[0];
  assert(half.confidence < 0.9, `low confidence: ${JSON.stringify(half)}`);
  // Not a license at all.
  assertEquals(classifier.identify("Copyright 2020 Someone\n"), [
    { name: "NOASSERTION", confidence: 0 },
  ]);
  // Two licenses in one file: both.
  const dual = classifier.identify(`${MIT}\n\n${corpus["Apache-2.0"].licenseText}`);
  assertEquals(dual.map((m) => m.name).sort(), ["Apache-2.0", "MIT"]);
  assertEquals(licenseType("MIT"), "notice");
  assertEquals(licenseType("GPL-2.0"), "restricted");
  assertEquals(licenseType("CC0-1.0"), "unencumbered");
});

Deno.test("license differences: melange's rules (path, override, AND/OR split)", () => {
  const d = (name: string, source: string) => ({ name, source, confidence: 1, type: "notice" });
  assertEquals(licenseDifferences([d("MIT", "LICENSE")], [{ license: "MIT" }]), []);
  assertEquals(
    licenseDifferences([d("MIT", "LICENSE")], [{ license: "Apache-2.0 OR MIT" }]),
    [],
  );
  assertEquals(licenseDifferences([d("MIT", "LICENSE")], [{ license: "Apache-2.0" }]), [
    { path: "LICENSE", is: "", should: "MIT", override: "", newType: "notice" },
  ]);
  assertEquals(
    licenseDifferences([d("MIT", "LICENSE")], [{
      license: "BSD-3-Clause",
      "license-path": "LICENSE",
    }]),
    [{ path: "LICENSE", is: "BSD-3-Clause", should: "MIT", override: "", newType: "notice" }],
  );
  assertEquals(
    licenseDifferences([d("MIT", "LICENSE")], [
      { license: "BSD-3-Clause", "license-path": "LICENSE", "detection-override": "MIT" },
    ]),
    [],
  );
});

const BUILD_FILE = `# keep this comment
package:
  name: lc
  version: 1.0.0
  epoch: 0
  copyright:
    - license: GPL-3.0-or-later
pipeline:
  - runs: "true"
`;

Deno.test("license-check: a directory, a build file with --workdir, --fix; no fetching", () =>
  withTempDir(async (dir) => {
    mkdirSync(`${dir}/src/docs`, { recursive: true });
    writeFileSync(`${dir}/src/LICENSE`, MIT);
    writeFileSync(`${dir}/src/docs/COPYING`, corpus["Apache-2.0"].licenseText);
    writeFileSync(`${dir}/lc.yaml`, BUILD_FILE);

    const tree = await runCli(["license-check", `${dir}/src`]);
    assertEquals(tree.code, 0, tree.stderr);
    assert(/^ {2}LICENSE: MIT \(1\.0+\) \(notice\)$/m.test(tree.stdout), tree.stdout);
    assertStringIncludes(tree.stdout, "  docs/COPYING: Apache-2.0 (");

    const refused = await runCli(["license-check", `${dir}/lc.yaml`]);
    assertEquals(refused.code, 1);
    assertStringIncludes(
      refused.stderr,
      "melange2 does not: extract them yourself and pass --workdir DIR",
    );

    const checked = await runCli(["license-check", `${dir}/lc.yaml`, "--workdir", `${dir}/src`]);
    assertEquals(checked.code, 0, checked.stderr);
    assertStringIncludes(
      checked.stdout,
      "detected license differences:\n  LICENSE: MIT not found\n",
    );

    const fixed = await runCli([
      "license-check",
      `${dir}/lc.yaml`,
      "--workdir",
      `${dir}/src`,
      "--fix",
    ]);
    assertEquals(fixed.code, 0, fixed.stderr);
    const text = readFileSync(`${dir}/lc.yaml`, "utf8");
    assert(text.startsWith("# keep this comment\n"), text);
    assertEquals(parse(text).package.copyright, [
      { license: "MIT", "license-path": "LICENSE" },
      { license: "Apache-2.0", "license-path": "docs/COPYING" },
    ]);
    // Now the file says what the sources say.
    const again = await runCli(["license-check", `${dir}/lc.yaml`, "--workdir", `${dir}/src`]);
    assertStringIncludes(again.stdout, "no license differences detected");

    writeFileSync(`${dir}/lc.yaml`, BUILD_FILE);
    await runCli([
      "license-check",
      `${dir}/lc.yaml`,
      "--workdir",
      `${dir}/src`,
      "--fix",
      "--format",
      "simple",
    ]);
    assertEquals(parse(readFileSync(`${dir}/lc.yaml`, "utf8")).package.copyright, [
      { license: "Apache-2.0 AND MIT" },
    ]);

    const bad = await runCli(["license-check", `${dir}/nope.txt`]);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "expected a source directory, a .yaml build file or an .apk");
  }));

Deno.test("convert: refused with melange's reason, not 'unknown command'", async () => {
  const res = await runCli(["convert", "python", "botocore"]);
  assertEquals(res.code, 1);
  assertStringIncludes(res.stderr, "error: convert is not available: melange itself removed it");
});
