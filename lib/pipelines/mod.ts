/**
 * The built-in pipeline library: every pipeline name melange ships, with the
 * same inputs and defaults, embedded in the module graph as text so the
 * compiled binary carries them. The YAML files beside this module are the
 * pipelines' one source; each does what melange v0.59.1's pipeline of the
 * same name does (same inputs, defaults, needs and steps), in our own words.
 */
import p_R_build from "./R/build.yaml" with { type: "text" };
import p_autoconf_configure from "./autoconf/configure.yaml" with { type: "text" };
import p_autoconf_make from "./autoconf/make.yaml" with { type: "text" };
import p_autoconf_make_install from "./autoconf/make-install.yaml" with { type: "text" };
import p_cargo_build from "./cargo/build.yaml" with { type: "text" };
import p_cmake_build from "./cmake/build.yaml" with { type: "text" };
import p_cmake_configure from "./cmake/configure.yaml" with { type: "text" };
import p_cmake_install from "./cmake/install.yaml" with { type: "text" };
import p_fetch from "./fetch.yaml" with { type: "text" };
import p_git_am from "./git-am.yaml" with { type: "text" };
import p_git_checkout from "./git-checkout.yaml" with { type: "text" };
import p_go_build from "./go/build.yaml" with { type: "text" };
import p_go_build_v2 from "./go/build/v2.yaml" with { type: "text" };
import p_go_bump from "./go/bump.yaml" with { type: "text" };
import p_go_covdata from "./go/covdata.yaml" with { type: "text" };
import p_go_install from "./go/install.yaml" with { type: "text" };
import p_llvm_covreport from "./llvm/covreport.yaml" with { type: "text" };
import p_maven_configure_mirror from "./maven/configure-mirror.yaml" with { type: "text" };
import p_maven_pombump from "./maven/pombump.yaml" with { type: "text" };
import p_meson_compile from "./meson/compile.yaml" with { type: "text" };
import p_meson_configure from "./meson/configure.yaml" with { type: "text" };
import p_meson_install from "./meson/install.yaml" with { type: "text" };
import p_npm_install from "./npm/install.yaml" with { type: "text" };
import p_patch from "./patch.yaml" with { type: "text" };
import p_pecl_install from "./pecl/install.yaml" with { type: "text" };
import p_pecl_phpize from "./pecl/phpize.yaml" with { type: "text" };
import p_perl_cleanup from "./perl/cleanup.yaml" with { type: "text" };
import p_perl_make from "./perl/make.yaml" with { type: "text" };
import p_python_build from "./python/build.yaml" with { type: "text" };
import p_python_build_wheel from "./python/build-wheel.yaml" with { type: "text" };
import p_python_import from "./python/import.yaml" with { type: "text" };
import p_python_install from "./python/install.yaml" with { type: "text" };
import p_python_test from "./python/test.yaml" with { type: "text" };
import p_ruby_build from "./ruby/build.yaml" with { type: "text" };
import p_ruby_clean from "./ruby/clean.yaml" with { type: "text" };
import p_ruby_install from "./ruby/install.yaml" with { type: "text" };
import p_split_alldocs from "./split/alldocs.yaml" with { type: "text" };
import p_split_bin from "./split/bin.yaml" with { type: "text" };
import p_split_debug from "./split/debug.yaml" with { type: "text" };
import p_split_dev from "./split/dev.yaml" with { type: "text" };
import p_split_infodir from "./split/infodir.yaml" with { type: "text" };
import p_split_lib from "./split/lib.yaml" with { type: "text" };
import p_split_locales from "./split/locales.yaml" with { type: "text" };
import p_split_manpages from "./split/manpages.yaml" with { type: "text" };
import p_split_static from "./split/static.yaml" with { type: "text" };
import p_strip from "./strip.yaml" with { type: "text" };
import p_xcover_ensure from "./xcover/ensure.yaml" with { type: "text" };
import p_xcover_profile from "./xcover/profile.yaml" with { type: "text" };
import p_xcover_status from "./xcover/status.yaml" with { type: "text" };
import p_xcover_stop from "./xcover/stop.yaml" with { type: "text" };
import p_xcover_wait from "./xcover/wait.yaml" with { type: "text" };

const PIPELINES: Record<string, string> = {
  "R/build": p_R_build,
  "autoconf/configure": p_autoconf_configure,
  "autoconf/make": p_autoconf_make,
  "autoconf/make-install": p_autoconf_make_install,
  "cargo/build": p_cargo_build,
  "cmake/build": p_cmake_build,
  "cmake/configure": p_cmake_configure,
  "cmake/install": p_cmake_install,
  "fetch": p_fetch,
  "git-am": p_git_am,
  "git-checkout": p_git_checkout,
  "go/build": p_go_build,
  "go/build/v2": p_go_build_v2,
  "go/bump": p_go_bump,
  "go/covdata": p_go_covdata,
  "go/install": p_go_install,
  "llvm/covreport": p_llvm_covreport,
  "maven/configure-mirror": p_maven_configure_mirror,
  "maven/pombump": p_maven_pombump,
  "meson/compile": p_meson_compile,
  "meson/configure": p_meson_configure,
  "meson/install": p_meson_install,
  "npm/install": p_npm_install,
  "patch": p_patch,
  "pecl/install": p_pecl_install,
  "pecl/phpize": p_pecl_phpize,
  "perl/cleanup": p_perl_cleanup,
  "perl/make": p_perl_make,
  "python/build": p_python_build,
  "python/build-wheel": p_python_build_wheel,
  "python/import": p_python_import,
  "python/install": p_python_install,
  "python/test": p_python_test,
  "ruby/build": p_ruby_build,
  "ruby/clean": p_ruby_clean,
  "ruby/install": p_ruby_install,
  "split/alldocs": p_split_alldocs,
  "split/bin": p_split_bin,
  "split/debug": p_split_debug,
  "split/dev": p_split_dev,
  "split/infodir": p_split_infodir,
  "split/lib": p_split_lib,
  "split/locales": p_split_locales,
  "split/manpages": p_split_manpages,
  "split/static": p_split_static,
  "strip": p_strip,
  "xcover/ensure": p_xcover_ensure,
  "xcover/profile": p_xcover_profile,
  "xcover/status": p_xcover_status,
  "xcover/stop": p_xcover_stop,
  "xcover/wait": p_xcover_wait,
};

/** The YAML text of a built-in pipeline (`"autoconf/configure"`), or undefined. */
export function builtinPipeline(name: string): string | undefined {
  return Object.hasOwn(PIPELINES, name) ? PIPELINES[name] : undefined;
}

/** Names of every built-in pipeline, sorted. */
export function builtinPipelineNames(): string[] {
  return Object.keys(PIPELINES).sort();
}
