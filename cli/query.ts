/**
 * `melange2 query` and `melange2 package-version`: melange's Go-template
 * queries of a build file. Field references (`{{ .Package.Name }}`) are
 * what people use them for; each Go field name is the YAML key it reads
 * (`TargetArchitecture` is `target-architecture`).
 */
import type { Command } from "commander";
import { action } from "./run.ts";

/** Registers `query` and `package-version`. */
export function register(program: Command): void {
  program
    .command("query")
    .description("Print fields of a build file through a Go template, as melange query does")
    .argument("<file>", "the melange file")
    .argument("<template>", 'e.g. "{{ .Package.Name }}-{{ .Package.Version }}"')
    .action(action(async (file: string, pattern: string) => {
      const { queryFile } = await import("./query_run.ts");
      await Deno.stdout.write(new TextEncoder().encode(await queryFile(file, pattern)));
    }));
  program
    .command("package-version")
    .description("Print the package a build file makes: NAME-VERSION-rEPOCH")
    .argument("<file>", "the melange file")
    .action(action(async (file: string) => {
      const { PACKAGE_VERSION, queryFile } = await import("./query_run.ts");
      await Deno.stdout.write(new TextEncoder().encode(await queryFile(file, PACKAGE_VERSION)));
    }));
}
