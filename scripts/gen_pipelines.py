# Generates lib/pipelines/*.yaml: melange's built-in pipeline names, inputs and
# defaults (facts), with scripts written for melange2.
import os, textwrap
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "pipelines")
P = {}
def pl(name, desc, needs, inputs, steps):
    P[name] = (desc, needs, inputs, steps)
def I(name, desc, default=None, required=None):
    return (name, desc, default, required)
def step(runs, name=None, wd=None, ifc=None):
    return (runs, name, wd, ifc)

SPLIT_SRC = '''src="${{targets.destdir}}"
if [ -n "${{inputs.package}}" ]; then
  src="${{targets.outdir}}/${{inputs.package}}"
fi
if [ "$src" = "${{targets.contextdir}}" ]; then
  echo "split: a package cannot split files from itself" >&2
  exit 1
fi
dst="${{targets.contextdir}}"
# move_path PATH: moves src/PATH to dst/PATH, keeping its directory.
move_path() {
  [ -e "$src/$1" ] || [ -L "$src/$1" ] || return 0
  mkdir -p "$dst/$(dirname "$1")"
  mv "$src/$1" "$dst/$(dirname "$1")/"
  rmdir "$src/$(dirname "$1")" 2>/dev/null || :
}
'''
PKG_IN = I("package", "The package to split files from (default: the main package)", None, False)

pl("split/dev", "Split development files (headers, pkg-config, static libraries, .so links) into a -dev subpackage",
   ["busybox"], [PKG_IN, I("prefix", "Installation prefix the files live under", "/usr")],
   [step(SPLIT_SRC + '''cd "$src" || exit 0
prefix="${{inputs.prefix}}"
while [ "${prefix#/}" != "$prefix" ]; do prefix="${prefix#/}"; done
libdirs="$prefix/"
if [ "${prefix%%/*}" = usr ] && [ -d lib/ ]; then libdirs="lib/ $libdirs"; fi
for p in "$prefix"/include "$prefix"/lib/pkgconfig "$prefix"/share/pkgconfig \\
    "$prefix"/share/aclocal "$prefix"/share/gettext "$prefix"/bin/*-config "$prefix"/bin/*_config \\
    "$prefix"/share/vala/vapi "$prefix"/share/gir-[0-9]* "$prefix"/share/qt*/mkspecs \\
    "$prefix"/lib/qt*/mkspecs "$prefix"/lib/cmake "$prefix"/share/cmake \\
    "$prefix"/lib/glade/modules "$prefix"/share/glade/catalogs \\
    $(find . -name include -type d | sed 's|^\\./||') \\
    $(find $libdirs -name '*.a' 2>/dev/null) \\
    $(find $libdirs \\( -name '*.[cho]' -o -name '*.prl' \\) 2>/dev/null); do
  move_path "$p"
done
# Unversioned .so symlinks are only needed to link against the library.
sodirs="$prefix/lib"
case "$prefix" in
  usr) sodirs="lib $sodirs" ;;
  */usr) sodirs="${prefix%/*}/lib $sodirs" ;;
esac
for d in $sodirs; do
  for so in "$d"/*.so; do
    [ -L "$so" ] && move_path "$so"
  done
done
exit 0
''')])
pl("split/static", "Split static libraries (*.a) into a -static subpackage", ["busybox"], [PKG_IN],
   [step(SPLIT_SRC + '''cd "$src" || exit 0
libdirs=usr/
[ -d lib/ ] && libdirs="lib/ $libdirs"
for a in $(find $libdirs -name '*.a' 2>/dev/null); do
  move_path "$a"
done
''')])
pl("split/manpages", "Split manual pages into a -doc subpackage", ["busybox"], [PKG_IN],
   [step(SPLIT_SRC + '''for m in usr/share/man usr/local/share/man usr/man; do
  [ -d "$src/$m" ] || continue
  mkdir -p "$dst/usr/share/man"
  mv "$src/$m"/* "$dst/usr/share/man/"
  rmdir -p "$src/$m" 2>/dev/null || :
done
''')])
pl("split/infodir", "Split GNU info pages into a subpackage", ["busybox"], [PKG_IN],
   [step(SPLIT_SRC + '''if [ -d "$src/usr/share/info" ]; then
  rm -f "$src/usr/share/info/dir"
  mkdir -p "$dst/usr/share"
  mv "$src/usr/share/info" "$dst/usr/share/"
fi
''')])
pl("split/locales", "Split translations (usr/share/locale) into a subpackage", ["busybox"], [PKG_IN],
   [step(SPLIT_SRC + '''if [ -d "$src/usr/share/locale" ]; then
  mkdir -p "$dst/usr/share"
  mv "$src/usr/share/locale" "$dst/usr/share/locale"
fi
''')])
pl("split/alldocs", "Split every kind of documentation (info, man, doc) into a -doc subpackage", ["busybox"], [PKG_IN],
   [step(SPLIT_SRC + '''if [ -d "$src/usr/share/info" ]; then
  rm -f "$src/usr/share/info/dir"
  mkdir -p "$dst/usr/share"
  mv "$src/usr/share/info" "$dst/usr/share/"
fi
for m in usr/share/man usr/local/share/man usr/man; do
  [ -d "$src/$m" ] || continue
  mkdir -p "$dst/usr/share/man"
  mv "$src/$m"/* "$dst/usr/share/man/"
  rmdir -p "$src/$m" 2>/dev/null || :
done
for d in usr/share/doc usr/local/share/doc; do
  [ -d "$src/$d" ] || continue
  mkdir -p "$dst/usr/share/doc"
  mv "$src/$d"/* "$dst/usr/share/doc/"
  rmdir -p "$src/$d" 2>/dev/null || :
done
''', name="split all docs")])
pl("split/bin", "Split usr/bin into a -bin subpackage", ["busybox"], [PKG_IN],
   [step('''name="${{context.name}}"
base="${name%-bin}"
if [ -n "${{inputs.package}}" ]; then
  src="${{targets.outdir}}/${{inputs.package}}"
elif [ "$name" != "$base" ] && [ -d "${{targets.outdir}}/$base" ]; then
  src="${{targets.outdir}}/$base"
else
  src="${{targets.destdir}}"
fi
if [ "$src" = "${{targets.contextdir}}" ]; then
  echo "split/bin: a package cannot split files from itself" >&2
  exit 1
fi
if [ ! -d "$src/usr/bin" ]; then
  echo "split/bin: $src/usr/bin is not a directory" >&2
  exit 1
fi
mkdir -p "${{targets.contextdir}}/usr/bin"
mv "$src/usr/bin"/* "${{targets.contextdir}}/usr/bin/"
find "$src/usr" -depth -mindepth 1 -type d -exec rmdir {} \\; 2>/dev/null || :
''')])
pl("split/lib", "Split shared libraries (lib*.so.*) into a subpackage", ["busybox"],
   [PKG_IN, I("patterns", "Library names to move, one per line (libNAME.so.*); default: every library", None, False),
    I("paths", "More directories to look in, one per line", None, False)],
   [step(SPLIT_SRC + '''cd "$src" || exit 0
# One pattern a line; "*" (every library) is read, never glob-expanded.
patterns="${{inputs.patterns}}"
[ -n "$patterns" ] || patterns="*"
dirs=""
[ -d lib ] && dirs="lib"
[ -d usr/lib ] && dirs="$dirs usr/lib"
extra="${{inputs.paths}}"
for p in $extra; do [ -d "$p" ] && dirs="$dirs $p"; done
for d in $dirs; do
  printf '%s\\n' "$patterns" | while read -r pat; do
    [ -n "$pat" ] || continue
    if [ "$pat" = "*" ]; then glob="*.so.*"; else glob="lib$pat.so.*"; fi
    find "$d" -maxdepth 1 -name "$glob" \\( -type f -o -type l \\) 2>/dev/null | while read -r lib; do
      move_path "$lib"
      echo "split/lib: moved $lib"
    done
  done
done
''')])
pl("split/debug", "Split debug information of ELF files into a -dbg subpackage", ["binutils", "busybox"], [PKG_IN],
   [step(SPLIT_SRC + '''tmp="$src/.melange2-dbg"
mkdir -p "$tmp"
find "$src" -path "$tmp" -prune -o -type f -print | while read -r f; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "177ELF" ] || continue
  rel="${f#"$src"/}"
  out="$dst/usr/lib/debug/$rel.debug"
  mkdir -p "$(dirname "$out")"
  objcopy --only-keep-debug "$f" "$out" || continue
  objcopy --add-gnu-debuglink="$out" --strip-unneeded -R .comment "$f" "$tmp/stripped"
  cat "$tmp/stripped" > "$f"
done
rm -rf "$tmp"
''')])

pl("strip", "Strip debugging symbols from the ELF files of the package being built", ["binutils"],
   [I("opts", "Options passed to strip", "-g")],
   [step('''case "${{build.arch}}" in
  x86_64|aarch64) ;;
  *) echo "strip: cannot strip ${{build.arch}} binaries here" >&2; exit 1 ;;
esac
find . -type f | while read -r f; do
  # Only ELF executables and shared objects (type 2 or 3 at offset 16).
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "177ELF" ] || continue
  t=$(od -An -tu1 -j16 -N1 "$f" | tr -d ' ')
  [ "$t" = 2 ] || [ "$t" = 3 ] || continue
  strip ${{inputs.opts}} "$f" || echo "strip: skipped $f"
done
''', wd="${{targets.contextdir}}")])

pl("fetch", "Download a source archive, verify its checksum and extract it", ["wget"],
   [I("strip-components", "Leading path components tar strips when extracting", "1"),
    I("directory", "Directory the archive is extracted into", "."),
    I("extract", "Whether to extract the archive", "true"),
    I("expected-sha256", "The archive's SHA-256"),
    I("expected-sha512", "The archive's SHA-512"),
    I("expected-none", "Set to skip checksum verification"),
    I("purl-name", "Package URL name recorded for the source", "${{package.name}}"),
    I("purl-version", "Package URL version recorded for the source", "${{package.version}}"),
    I("uri", "The URI to download", None, True),
    I("timeout", "Network timeout in seconds", "5"),
    I("dns-timeout", "DNS timeout in seconds", "20"),
    I("retry-limit", "How many times to try the download", "5"),
    I("delete", "Whether to delete the archive after extracting it", "false"),
    I("reason", "Why the checksum is not verified (with expected-none)")],
   [step('''sha256="${{inputs.expected-sha256}}"
sha512="${{inputs.expected-sha512}}"
if [ -z "$sha256" ] && [ -z "$sha512" ] && [ -z "${{inputs.expected-none}}" ]; then
  echo "fetch: expected-sha256 or expected-sha512 is required" >&2
  exit 1
fi
file=$(basename '${{inputs.uri}}')
cached=""
if [ -n "$sha256" ]; then cached="/var/cache/melange/sha256:$sha256"; fi
if [ -n "$sha512" ]; then cached="/var/cache/melange/sha512:$sha512"; fi
if [ -n "$cached" ] && [ -f "$cached" ]; then
  echo "fetch: using $cached"
  cp "$cached" "$file"
fi
if [ ! -f "$file" ]; then
  n=0
  # The timeout input is not passed on: busybox-static's wget crashes on -T
  # where a dynamic glibc is installed next to it.
  until wget -q -O "$file" '${{inputs.uri}}'; do
    n=$((n + 1))
    rm -f "$file"
    if [ "$n" -ge '${{inputs.retry-limit}}' ]; then
      echo "fetch: could not download ${{inputs.uri}}" >&2
      exit 1
    fi
    sleep 1
  done
fi
if [ -n "${{inputs.expected-none}}" ]; then
  echo "fetch: checksum not verified (${{inputs.reason}})"
elif [ -n "$sha256" ]; then
  got=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$got" != "$sha256" ]; then
    echo "fetch: sha256 of $file is $got, expected $sha256" >&2
    exit 1
  fi
else
  got=$(sha512sum "$file" | cut -d' ' -f1)
  if [ "$got" != "$sha512" ]; then
    echo "fetch: sha512 of $file is $got, expected $sha512" >&2
    exit 1
  fi
fi
if [ "${{inputs.extract}}" = true ]; then
  mkdir -p '${{inputs.directory}}'
  # Name the compression: not every tar (busybox's) detects it.
  case "$file" in
    *.tar.gz|*.tgz) z=-z ;;
    *.tar.bz2|*.tbz2) z=-j ;;
    *.tar.xz|*.txz) z=-J ;;
    *) z= ;;
  esac
  tar -x $z --strip-components='${{inputs.strip-components}}' -C '${{inputs.directory}}' -f "$file"
fi
if [ "${{inputs.delete}}" = true ]; then
  rm "$file"
fi
''')])

pl("git-checkout", "Check out a git repository at a branch, tag or commit", ["git"],
   [I("repository", "The repository to clone", None, True),
    I("destination", "Where to check it out", "."),
    I("depth", "Clone depth ('unset' means 1 for a tag or branch, full history otherwise)", "unset"),
    I("branch", "Branch to check out"),
    I("tag", "Tag to check out"),
    I("expected-commit", "The commit the checkout must be at"),
    I("expected-commit-is-branch-tip", "Whether expected-commit must be the branch's tip", "false"),
    I("recurse-submodules", "Whether to check out submodules", "false"),
    I("shallow-submodules", "Whether submodules are cloned shallow", "false"),
    I("submodule-jobs", "Parallel submodule fetches", "1"),
    I("cherry-picks", "Commits to cherry-pick, one per line: [branch/]commit: comment"),
    I("type-hint", "Whether the ref is a tag or a branch, when ambiguous"),
    I("sparse-paths", "Paths of a sparse checkout, one per line"),
    I("max-retries", "Retries of network operations", "3"),
    I("initial-backoff", "First wait between retries (seconds)", "2"),
    I("max-backoff", "Longest wait between retries (seconds)", "60"),
    I("reason", "Why this checkout is unusual")],
   [step('''set -eu
say() { echo "[git checkout] $*"; }
retry() {
  n=0; wait='${{inputs.initial-backoff}}'
  until "$@"; do
    n=$((n + 1))
    [ "$n" -le '${{inputs.max-retries}}' ] || return 1
    say "retrying in ${wait}s: $*"; sleep "$wait"
    wait=$((wait * 2)); [ "$wait" -le '${{inputs.max-backoff}}' ] || wait='${{inputs.max-backoff}}'
  done
}
repo='${{inputs.repository}}'
dest='${{inputs.destination}}'
ref='${{inputs.tag}}'
[ -n "$ref" ] || ref='${{inputs.branch}}'
depth='${{inputs.depth}}'
if [ "$depth" = unset ]; then
  if [ -n "$ref" ]; then depth=1; else depth=-1; fi
fi
args=""
[ "$depth" != -1 ] && args="--depth=$depth"
[ -n "$ref" ] && args="$args --branch=$ref"
[ '${{inputs.recurse-submodules}}' = true ] && args="$args --recurse-submodules --jobs=${{inputs.submodule-jobs}}"
[ '${{inputs.shallow-submodules}}' = true ] && args="$args --shallow-submodules"
git config --global --add safe.directory '*'
tmp=$(mktemp -d)
retry git clone --quiet $args "$repo" "$tmp/src"
mkdir -p "$dest"
( cd "$tmp/src" && tar -c . ) | ( cd "$dest" && tar -x )
rm -rf "$tmp"
cd "$dest"
git config --global --add safe.directory "$PWD"
want='${{inputs.expected-commit}}'
if [ -n "$want" ]; then
  if [ -z "$ref" ]; then
    git checkout --quiet "$want" 2>/dev/null || { retry git fetch --quiet origin "$want"; git checkout --quiet "$want"; }
  fi
  got=$(git rev-parse HEAD)
  if [ "$got" != "$want" ]; then
    say "expected commit $want, got $got" >&2
    exit 1
  fi
fi
printf '%s\\n' '${{inputs.cherry-picks}}' | while read -r line; do
  line="${line%%#*}"
  [ -n "$line" ] || continue
  commit="${line%%:*}"; commit="${commit##*/}"
  retry git fetch --quiet origin "$commit" || true
  git -c user.name=melange2 -c user.email=melange2@localhost cherry-pick -x "$commit"
done
say "checked out $repo$([ -n "$ref" ] && echo " at $ref") into $dest"
''')])

pl("git-am", "Apply patches with git am", ["git"], [I("patches", "The patches to apply, separated by spaces", None, True)],
   [step('''for p in ${{inputs.patches}}; do
  git -c user.name=melange2 -c user.email=melange2@localhost am "$p"
done
''')])

pl("patch", "Apply patches", ["patch"],
   [I("strip-components", "Leading path components removed from file names in the patches (-p)", "1"),
    I("fuzz", "Lines of context that may differ (--fuzz)", "2"),
    I("patches", "The patches to apply, separated by whitespace"),
    I("series", "A quilt-style series file listing the patches")],
   [step('''strip='${{inputs.strip-components}}'
fuzz='${{inputs.fuzz}}'
case "$strip$fuzz" in *[!0-9]*|"") echo "patch: strip-components and fuzz must be integers" >&2; exit 1 ;; esac
series='${{inputs.series}}'
if [ -n "$series" ]; then
  [ -f "$series" ] || { echo "patch: no series file $series" >&2; exit 1; }
  list=$(sed -e 's/#.*//' "$series")
else
  list='${{inputs.patches}}'
fi
[ -n "$list" ] || { echo "patch: set patches or series" >&2; exit 1; }
for p in $list; do
  echo "patch: applying $p"
  patch "-p$strip" --fuzz="$fuzz" --verbose < "$p"
done
''')])

AC_DIR = I("dir", "The directory containing the build", ".")
# This configure step runs an existing ./configure only, so unlike melange it
# needs no autoconf, automake or libtool in the environment.
pl("autoconf/configure", "Run a GNU autoconf configure script", [],
   [AC_DIR, I("host", "The GNU triplet of the system the result runs on", "${{host.triplet.gnu}}"),
    I("build", "The GNU triplet of the system building it", "${{host.triplet.gnu}}"),
    I("opts", "More options for the configure script", "")],
   [step('''cd '${{inputs.dir}}'
./configure \\
  --host='${{inputs.host}}' \\
  --build='${{inputs.build}}' \\
  --prefix=/usr \\
  --sysconfdir=/etc \\
  --libdir=/usr/lib \\
  --mandir=/usr/share/man \\
  --infodir=/usr/share/info \\
  --localstatedir=/var \\
  ${{inputs.opts}}
''')])
pl("autoconf/make", "Run make", ["make"],
   [AC_DIR, I("opts", "More options for make", ""), I("targets", "The targets to build", "")],
   [step('''make -C '${{inputs.dir}}' -j$(nproc) ${{inputs.targets}} V=1 ${{inputs.opts}}
''')])
pl("autoconf/make-install", "Run make install into the package", ["make"],
   [AC_DIR, I("opts", "More options for make", ""), I("targets", "The install targets", "install")],
   [step('''make -C '${{inputs.dir}}' ${{inputs.targets}} DESTDIR='${{targets.contextdir}}' V=1 ${{inputs.opts}}
'''), step('''find '${{targets.contextdir}}' -name '*.la' -print -exec rm -f {} \\;
''', name="remove libtool archives")])

pl("cmake/configure", "Configure a CMake project", ["cmake", "ninja"],
   [I("output-dir", "The build directory", "output"), I("opts", "More options for cmake")],
   [step('''cmake -B '${{inputs.output-dir}}' -G Ninja \\
  -DCMAKE_BUILD_TYPE=Release \\
  -DCMAKE_INSTALL_PREFIX=/usr \\
  -DCMAKE_INSTALL_LIBDIR=lib \\
  -DCMAKE_INSTALL_SYSCONFDIR=/etc \\
  ${{inputs.opts}}
''')])
pl("cmake/build", "Build a configured CMake project", ["cmake", "ninja"],
   [I("output-dir", "The build directory", "output"), I("opts", "More options for cmake --build")],
   [step('''cmake --build '${{inputs.output-dir}}' -j$(nproc) ${{inputs.opts}}
''')])
pl("cmake/install", "Install a built CMake project into the package", ["cmake", "ninja"],
   [I("output-dir", "The build directory", "output")],
   [step('''DESTDIR='${{targets.contextdir}}' cmake --install '${{inputs.output-dir}}'
''')])

pl("meson/configure", "Configure a Meson project", ["meson"],
   [I("output-dir", "The build directory", "output"), I("opts", "More options for meson setup")],
   [step('''meson setup '${{inputs.output-dir}}' \\
  --prefix=/usr --libdir=/usr/lib --sysconfdir=/etc --localstatedir=/var \\
  --buildtype=release --wrap-mode=nodownload \\
  ${{inputs.opts}}
''')])
pl("meson/compile", "Compile a configured Meson project", ["meson"], [I("output-dir", "The build directory", "output")],
   [step('''meson compile -C '${{inputs.output-dir}}' -j $(nproc)
''')])
pl("meson/install", "Install a compiled Meson project into the package", ["meson"],
   [I("output-dir", "The build directory", "output")],
   [step('''DESTDIR='${{targets.contextdir}}' meson install --no-rebuild -C '${{inputs.output-dir}}'
''')])

GO_COMMON = [I("tags", "Build tags (comma-separated)"),
    I("toolchaintags", "Tags every build gets", "netgo,osusergo"),
    I("ldflags", "Flags for the linker"),
    I("strip", "Linker flags that strip the binary", "-w"),
    I("prefix", "Installation prefix", "usr"),
    I("install-dir", "Directory under the prefix the binary goes to", "bin"),
    I("experiments", "GOEXPERIMENT values (comma-separated)", ""),
    I("amd64", "GOAMD64 level", "v2"),
    I("arm64", "GOARM64 level", "v8.0")]
GO_ENV = '''export GOAMD64='${{inputs.amd64}}' GOARM64='${{inputs.arm64}}'
[ -z '${{inputs.experiments}}' ] || export GOEXPERIMENT='${{inputs.experiments}}'
tags='${{inputs.toolchaintags}}'
[ -z '${{inputs.tags}}' ] || tags="$tags,${{inputs.tags}}"
bindir='${{targets.contextdir}}/${{inputs.prefix}}/${{inputs.install-dir}}'
mkdir -p "$bindir"
'''
pl("go/build", "Build Go packages into a binary of the package", ["${{inputs.go-package}}", "build-base", "busybox", "ca-certificates-bundle"],
   [I("go-package", "The Go toolchain package to use", "go"),
    I("packages", "Packages to build (go build arguments)", None, True),
    I("output", "Name of the binary", None, True),
    I("vendor", "Whether to build with -mod=vendor", "false"),
    I("modroot", "Directory of go.mod", ".", False)] + GO_COMMON + [
    I("deps", "Dependencies to bump before building (module@version, space-separated)"),
    I("extra-args", "More arguments for go build", ""),
    I("buildmode", "go build -buildmode", "default"),
    I("tidy", "Whether to run go mod tidy first", "false"),
    I("ignore-untracked-files", "Whether to build with -buildvcs=false when the tree is not clean", "true")],
   [step('''cd '${{inputs.modroot}}'
''' + GO_ENV + '''for dep in ${{inputs.deps}}; do go get "$dep"; done
[ '${{inputs.tidy}}' != true ] || go mod tidy
mod=""
[ '${{inputs.vendor}}' != true ] || mod="-mod=vendor"
vcs=""
[ '${{inputs.ignore-untracked-files}}' != true ] || vcs="-buildvcs=false"
go build $mod $vcs -o "$bindir/${{inputs.output}}" -tags "$tags" \\
  -buildmode='${{inputs.buildmode}}' -trimpath \\
  -ldflags '${{inputs.strip}} ${{inputs.ldflags}}' ${{inputs.extra-args}} ${{inputs.packages}}
''')])
pl("go/build/v2", "Build Go packages with the toolchain already in the environment", ["busybox", "ca-certificates-bundle"],
   [I("packages", "Packages to build", "."), I("output", "Name of the binary (default: the package's name)", ""),
    I("vendor", "Whether to build with -mod=vendor", "false"), I("modroot", "Directory of go.mod", ".", False)] + GO_COMMON + [
    I("extra-args", "More arguments for go build", ""), I("buildmode", "go build -buildmode", "default"),
    I("ignore-untracked-files", "Whether to build with -buildvcs=false", "true")],
   [step('''cd '${{inputs.modroot}}'
''' + GO_ENV + '''out='${{inputs.output}}'
[ -n "$out" ] || out='${{package.name}}'
mod=""
[ '${{inputs.vendor}}' != true ] || mod="-mod=vendor"
vcs=""
[ '${{inputs.ignore-untracked-files}}' != true ] || vcs="-buildvcs=false"
go build $mod $vcs -o "$bindir/$out" -tags "$tags" -buildmode='${{inputs.buildmode}}' -trimpath \\
  -ldflags '${{inputs.strip}} ${{inputs.ldflags}}' ${{inputs.extra-args}} ${{inputs.packages}}
''', name="go build")])
pl("go/install", "Install a Go program with go install", ["${{inputs.go-package}}", "busybox", "build-base", "ca-certificates-bundle", "git"],
   [I("go-package", "The Go toolchain package to use", "go"), I("package", "The package to install", None, True),
    I("version", "The version to install (default: latest)")] + GO_COMMON,
   [step(GO_ENV + '''v='${{inputs.version}}'
[ -n "$v" ] || v=latest
GOBIN="$bindir" go install -tags "$tags" -trimpath -ldflags '${{inputs.strip}} ${{inputs.ldflags}}' '${{inputs.package}}'@"$v"
''')])
pl("go/bump", "Bump Go module dependencies with gobump", ["git", "gobump"],
   [I("deps", "Dependencies to bump (module@version, space-separated)", None, True),
    I("modroot", "Directory of go.mod", "."), I("go-version", "Go version to set in go.mod", ""),
    I("replaces", "Replace directives to add"), I("tidy", "Whether to run go mod tidy", "true"),
    I("show-diff", "Whether to show the go.mod diff", "false"), I("tidy-compat", "go mod tidy -compat version", ""),
    I("work", "Whether to bump a go.work workspace", "false")],
   [step('''cd '${{inputs.modroot}}'
set -- --packages='${{inputs.deps}}' --tidy='${{inputs.tidy}}' --show-diff='${{inputs.show-diff}}' --work='${{inputs.work}}'
[ -z '${{inputs.replaces}}' ] || set -- "$@" --replaces='${{inputs.replaces}}'
[ -z '${{inputs.go-version}}' ] || set -- "$@" --go-version='${{inputs.go-version}}'
[ -z '${{inputs.tidy-compat}}' ] || set -- "$@" --compat='${{inputs.tidy-compat}}'
gobump "$@"
''')])
pl("go/covdata", "Print Go coverage data collected during tests", ["${{inputs.package}}", "busybox", "jq"],
   [I("package", "The Go toolchain package", "go"), I("cover-dir", "Where GOCOVERDIR pointed", "/home/build")],
   [step('''go tool covdata percent -i '${{inputs.cover-dir}}'
go tool covdata func -i '${{inputs.cover-dir}}' | tail -n 20
''')])

pl("cargo/build", "Build a Rust project with cargo auditable", ["build-base", "busybox", "cargo-auditable", "rust"],
   [I("output", "Binary to install (default: every binary built)"),
    I("opts", "Options for cargo build", "--release"),
    I("modroot", "Directory of Cargo.toml", ".", False),
    I("rustflags", "RUSTFLAGS for the build", "", False),
    I("prefix", "Installation prefix", "usr"),
    I("install-dir", "Directory under the prefix binaries go to", "bin"),
    I("output-dir", "Where cargo puts the binaries", "target/release"),
    I("jobs", "Parallel jobs (default: all cores)")],
   [step('''cd '${{inputs.modroot}}'
jobs='${{inputs.jobs}}'
[ -n "$jobs" ] || jobs=$(nproc)
RUSTFLAGS='${{inputs.rustflags}}' cargo auditable build -j "$jobs" ${{inputs.opts}}
dest='${{targets.contextdir}}/${{inputs.prefix}}/${{inputs.install-dir}}'
mkdir -p "$dest"
if [ -n '${{inputs.output}}' ]; then
  install -Dm755 '${{inputs.output-dir}}/${{inputs.output}}' "$dest/${{inputs.output}}"
else
  find '${{inputs.output-dir}}' -maxdepth 1 -type f -perm -u+x -exec install -m755 {} "$dest/" \\;
fi
''')])

pl("npm/install", "Install an npm package globally into the package", ["busybox", "nodejs", "${{inputs.npm-package}}", "npm"],
   [I("package", "The npm package", None, True), I("version", "Its version", None, True),
    I("prefix", "The installation prefix", "${{targets.contextdir}}/usr/"),
    I("overrides", "Dependency overrides (name@version, one per line)"),
    I("npm-package", "The npm package providing npm", "npm")],
   [step('''work=$(mktemp -d)
cd "$work"
npm pack '${{inputs.package}}@${{inputs.version}}'
tar -xzf ./*.tgz
cd package
if [ -n '${{inputs.overrides}}' ]; then
  for o in ${{inputs.overrides}}; do npm pkg set "overrides.${o%@*}=${o##*@}"; done
  npm install --package-lock-only --ignore-scripts
fi
npm pack
npm install --global --prefix '${{inputs.prefix}}' --omit=dev --no-fund --no-audit ./*.tgz
rm -rf "$work"
''')])

pl("python/build", "Build a Python project with setup.py", ["busybox", "python3"], [],
   [step('''python3 setup.py build
''', name="python setup.py build")])
pl("python/build-wheel", "Build a Python wheel and install it into the package", ["busybox", "py3-build", "py3-installer", "python3"], [],
   [step('''python3 -m build --wheel --no-isolation
''', name="build the wheel"), step('''python3 -m installer --destdir='${{targets.contextdir}}' dist/*.whl
find '${{targets.contextdir}}' -name '*.pyc' -delete
''', name="install the wheel")])
pl("python/install", "Install a Python project with setup.py", ["busybox", "python3"], [],
   [step('''python3 setup.py install --prefix=/usr --root='${{targets.contextdir}}' --skip-build
''', name="python setup.py install")])
pl("python/import", "Check that Python modules import", ["wolfi-base"],
   [I("python", "The interpreter (DEFAULT: the only python3.X on PATH)", "DEFAULT"),
    I("import", "A module to import", None, False), I("from", "Import from this module (with import)", None, False),
    I("imports", "Import statements, one per line", None, False),
    I("venv", "A virtual environment to activate first", None, False)],
   [step('''py='${{inputs.python}}'
if [ "$py" = DEFAULT ]; then
  py=$(ls /usr/bin/python3.[0-9]* 2>/dev/null | grep -E 'python3\\.[0-9]+$' | head -n1)
  [ -n "$py" ] || py=python3
fi
[ -z '${{inputs.venv}}' ] || . '${{inputs.venv}}/bin/activate'
check() { echo "python/import: $1"; "$py" -c "$1" || { echo "python/import: FAILED: $1" >&2; exit 1; }; }
if [ -n '${{inputs.import}}' ]; then
  if [ -n '${{inputs.from}}' ]; then check 'from ${{inputs.from}} import ${{inputs.import}}'
  else check 'import ${{inputs.import}}'; fi
fi
printf '%s\\n' '${{inputs.imports}}' | while IFS= read -r line; do
  line="${line%%#*}"
  [ -z "$(echo "$line" | tr -d ' ')" ] || check "$line"
done
''')])
pl("python/test", "Run a Python test command", ["wolfi-base"], [I("command", "The command to run", None, True)],
   [step('''${{inputs.command}}
''')])

pl("ruby/build", "Build a Ruby gem", ["busybox", "ca-certificates-bundle"],
   [I("dir", "Directory of the gemspec", "."), I("gem", "The gem's name", None, True),
    I("output", "The gem file to produce", None, False), I("opts", "More options for gem build", None, False)],
   [step('''cd '${{inputs.dir}}'
out='${{inputs.output}}'
[ -n "$out" ] || out='${{inputs.gem}}-${{package.version}}.gem'
gem build '${{inputs.gem}}.gemspec' --output "$out" ${{inputs.opts}}
''', name="gem build")])
pl("ruby/install", "Install a Ruby gem into the package", ["busybox", "ca-certificates-bundle"],
   [I("dir", "Directory of the gem", "."), I("gem", "The gem's name", None, False),
    I("gem-file", "The gem file to install", None, False), I("version", "The gem's version", None, True),
    I("opts", "More options for gem install", "", False)],
   [step('''cd '${{inputs.dir}}'
file='${{inputs.gem-file}}'
[ -n "$file" ] || file='${{inputs.gem}}-${{inputs.version}}.gem'
gem install "$file" --local --no-document --ignore-dependencies \\
  --install-dir "${{targets.contextdir}}$(ruby -e 'puts Gem.default_dir')" \\
  --bindir '${{targets.contextdir}}/usr/bin' --version '${{inputs.version}}' ${{inputs.opts}}
''', name="gem install")])
pl("ruby/clean", "Remove build leftovers from an installed gem", ["busybox", "ca-certificates-bundle"], [],
   [step('''dir="${{targets.contextdir}}$(ruby -e 'puts Gem.default_dir')"
rm -rf "$dir/build_info" "$dir/cache" "$dir/doc"
find "$dir/extensions" -name gem_make.out -delete 2>/dev/null || true
''', name="clean the gem")])

pl("perl/make", "Configure and build a Perl module", ["busybox", "perl"], [],
   [step('''PERL_MM_USE_DEFAULT=1 perl -I. Makefile.PL INSTALLDIRS=vendor
make -j$(nproc)
make install DESTDIR='${{targets.contextdir}}'
''')])
pl("perl/cleanup", "Remove perllocal.pod and .packlist files from the package", ["busybox"], [],
   [step('''find '${{targets.contextdir}}' \\( -name perllocal.pod -o -name .packlist \\) -delete
''')])

pl("maven/configure-mirror", "Point Maven at the mirror in MAVEN_MIRROR_URL, if set", ["busybox"], [],
   [step('''[ -n "${MAVEN_MIRROR_URL:-}" ] || exit 0
mkdir -p "$HOME/.m2"
cat > "$HOME/.m2/settings.xml" <<EOF
<settings><mirrors><mirror><id>melange2-mirror</id><mirrorOf>*</mirrorOf><url>$MAVEN_MIRROR_URL</url></mirror></mirrors></settings>
EOF
''')])
pl("maven/pombump", "Bump dependencies and properties of a pom.xml with pombump", ["busybox", "pombump"],
   [I("patch-file", "YAML file of dependency patches", "./pombump-deps.yaml"),
    I("properties-file", "YAML file of property changes", "./pombump-properties.yaml"),
    I("dependencies", "Dependencies to set (groupId@artifactId@version, space-separated)"),
    I("properties", "Properties to set (name@value, space-separated)"),
    I("pom", "The pom to change", "pom.xml"), I("debug", "Whether to log what changes", "false"),
    I("show-dependency-tree", "Whether to print the dependency tree afterwards", "false")],
   [step('''set -- '${{inputs.pom}}'
[ ! -f '${{inputs.patch-file}}' ] || set -- "$@" --patch-file '${{inputs.patch-file}}'
[ ! -f '${{inputs.properties-file}}' ] || set -- "$@" --properties-file '${{inputs.properties-file}}'
[ -z '${{inputs.dependencies}}' ] || set -- "$@" --dependencies '${{inputs.dependencies}}'
[ -z '${{inputs.properties}}' ] || set -- "$@" --properties '${{inputs.properties}}'
[ '${{inputs.debug}}' != true ] || set -- "$@" --log-level debug
pombump "$@"
[ '${{inputs.show-dependency-tree}}' != true ] || mvn dependency:tree
''')])

pl("pecl/phpize", "Prepare a PHP extension with phpize and configure", ["autoconf", "busybox"],
   [I("php-config", "The php-config to use", "php-config"), I("prefix", "Installation prefix", "/usr")],
   [step('''phpize
./configure --prefix='${{inputs.prefix}}' --with-php-config='${{inputs.php-config}}'
''')])
pl("pecl/install", "Install a built PHP extension and its ini file", ["automake", "busybox"],
   [I("extension", "The extension's name", None, True)],
   [step('''make INSTALL_ROOT='${{targets.contextdir}}' install
confdir='${{targets.contextdir}}/etc/php/conf.d'
mkdir -p "$confdir"
echo 'extension=${{inputs.extension}}.so' > "$confdir/${{inputs.extension}}.ini"
''')])

pl("R/build", "Build and install an R package", ["R", "R-dev", "R-doc", "busybox"],
   [I("package", "The R package's name", None, True), I("path", "Directory of the package source", "."),
    I("version", "The R package's version", None, True)],
   [step('''lib='${{targets.contextdir}}/usr/lib/R/library'
mkdir -p "$lib"
R CMD build '${{inputs.path}}'
R CMD INSTALL --build '${{inputs.package}}_${{inputs.version}}.tar.gz' --library="$lib"
rm -rf "$lib"/*/help/*.rds.gz 2>/dev/null || true
''')])

pl("llvm/covreport", "Print an LLVM coverage report", ["${{inputs.package}}"],
   [I("package", "The LLVM package providing llvm-cov and llvm-profdata", "llvm-19"),
    I("object", "The instrumented binary", ""), I("ignore-filename-regex", "Files to leave out of the report", "")],
   [step('''llvm-profdata merge -sparse ./*.profraw -o default.profdata
set -- report --instr-profile=default.profdata
[ -z '${{inputs.ignore-filename-regex}}' ] || set -- "$@" --ignore-filename-regex='${{inputs.ignore-filename-regex}}'
llvm-cov "$@" '${{inputs.object}}'
''')])

XC = I("package", "The package providing xcover", "xcover", False)
pl("xcover/profile", "Start xcover profiling an executable in the background", ["busybox", "${{inputs.package}}"],
   [XC, I("executable-path", "The executable to profile", None, True),
    I("exclude-functions", "Functions to leave out (regular expression)", None, False),
    I("include-functions", "Functions to include (regular expression)", None, False),
    I("scope", "What to cover: project or all", "project", False),
    I("log-level", "xcover's log level", "info", False), I("verbose", "Verbose output", "false", False),
    I("wait-timeout", "Seconds to wait for xcover to be ready", "60", False)],
   [step('''set -- run --path '${{inputs.executable-path}}' --scope '${{inputs.scope}}' --log-level '${{inputs.log-level}}' --detach
[ -z '${{inputs.exclude-functions}}' ] || set -- "$@" --exclude '${{inputs.exclude-functions}}'
[ -z '${{inputs.include-functions}}' ] || set -- "$@" --include '${{inputs.include-functions}}'
[ '${{inputs.verbose}}' != true ] || set -- "$@" --verbose
xcover "$@"
xcover wait --timeout '${{inputs.wait-timeout}}s'
''')])
pl("xcover/wait", "Wait until xcover is ready", ["busybox", "${{inputs.package}}"],
   [XC, I("wait-timeout", "Seconds to wait", "60", False)],
   [step('''xcover wait --timeout '${{inputs.wait-timeout}}s'
''')])
pl("xcover/status", "Print xcover's status", ["busybox", "${{inputs.package}}"], [XC],
   [step('''xcover status
''')])
pl("xcover/stop", "Stop xcover", ["busybox"], [XC],
   [step('''xcover stop || true
''')])
pl("xcover/ensure", "Fail unless xcover measured at least the given coverage", ["busybox", "jq", "${{inputs.package}}"],
   [XC, I("min-coverage", "The minimum coverage in percent", "", False)],
   [step('''report=$(xcover report --json)
echo "$report" | jq .
min='${{inputs.min-coverage}}'
[ -n "$min" ] || exit 0
got=$(echo "$report" | jq -r '.coverage_percent | floor')
if [ "$got" -lt "${min%.*}" ]; then
  echo "xcover/ensure: coverage $got% is below $min%" >&2
  exit 1
fi
''')])

def q(s):
    s = str(s)
    if s == "" or any(c in s for c in ":#{}[],&*?|<>=!%@`'\"") or s.strip() != s or s in ("true","false","yes","no","null","~"):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s

for name, (desc, needs, inputs, steps) in P.items():
    lines = [f"name: {q(desc)}"]
    if needs:
        lines.append("needs:")
        lines.append("  packages:")
        lines += [f"    - {q(n)}" for n in needs]
    if inputs:
        lines.append("inputs:")
        for (iname, idesc, default, req) in inputs:
            lines.append(f"  {iname}:")
            lines.append(f"    description: {q(idesc)}")
            if default is not None:
                lines.append(f"    default: {q(default)}")
            if req is not None:
                lines.append(f"    required: {'true' if req else 'false'}")
    lines.append("pipeline:")
    for (runs, sname, wd, ifc) in steps:
        first = True
        def item(s):
            global first
        if sname:
            lines.append(f"  - name: {q(sname)}")
            prefix = "    "
        else:
            prefix = None
        if wd:
            lines.append(("    " if sname else "  - ") + f"working-directory: {q(wd)}")
            sname = sname or "x"
        lines.append(("    " if sname else "  - ") + "runs: |")
        lines += [("      " + l) if l else "" for l in runs.rstrip("\n").split("\n")]
    path = os.path.join(OUT, name + ".yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write("\n".join(lines) + "\n")

# the module that embeds them
names = sorted(P)
def ident(n): return "p_" + n.replace("/", "_").replace("-", "_").replace(".", "_")
mod = ['/**', ' * The built-in pipeline library: every pipeline name melange ships, with the',
       ' * same inputs and defaults, embedded in the module graph as text so the',
       ' * compiled binary carries them. Generated by scripts/gen_pipelines.py.', ' */']
for n in names:
    mod.append(f'import {ident(n)} from "./{n}.yaml" with {{ type: "text" }};')
mod.append("")
mod.append("const PIPELINES: Record<string, string> = {")
for n in names:
    mod.append(f'  "{n}": {ident(n)},')
mod.append("};")
mod.append("")
mod.append('/** The YAML text of a built-in pipeline (`"autoconf/configure"`), or undefined. */')
mod.append("export function builtinPipeline(name: string): string | undefined {")
mod.append("  return Object.hasOwn(PIPELINES, name) ? PIPELINES[name] : undefined;")
mod.append("}")
mod.append("")
mod.append("/** Names of every built-in pipeline, sorted. */")
mod.append("export function builtinPipelineNames(): string[] {")
mod.append("  return Object.keys(PIPELINES).sort();")
mod.append("}")
open(os.path.join(OUT, "mod.ts"), "w").write("\n".join(mod) + "\n")
print(len(P), "pipelines")
