#!/usr/bin/env bash
# Installs what melange2 needs on a fresh Debian machine (as root) and starts
# buildkitd. Idempotent: whatever is already there is not installed again.
#
#   Deno 2.9.x      from the npm registry          -> $MELANGE2_TOOLS/deno
#   runc            from Debian                    -> /usr/sbin/runc
#   qemu-user-static from Debian, registered with binfmt_misc (fix-binary) so
#                   buildkitd runs aarch64 (and melange's other) steps emulated
#   buildkitd/ctl   v0.32.2 built with the local Go -> $MELANGE2_TOOLS/buildkit
#   llbref          scripts/llbref against BuildKit v0.32.2's client/llb -> $MELANGE2_TOOLS/llbref
#   spdxcheck       scripts/spdxcheck against spdx/tools-golang v0.5.7 and github/go-spdx
#                   v2.8.0 -> $MELANGE2_TOOLS/spdxcheck (the SBOM tests' SPDX 2.3 validator)
#   spdx-tools      0.8.5 from PyPI in a venv -> $MELANGE2_TOOLS/spdx-tools (pyspdxtools,
#                   the SPDX project's own validator, the SBOM tests' second opinion)
#   apko            v1.2.33 built with the local Go -> $MELANGE2_TOOLS/apko (the apko
#                   melange v0.59.1 depends on; the interoperability tests install
#                   our packages and repositories with it)
#   postgresql      from Debian, its cluster started on loopback with a melange2 role and
#                   database ($MELANGE2_POSTGRES) for the build server's PostgreSQL tests
#   registry        distribution v3.1.2 built with the local Go -> $MELANGE2_TOOLS/registry,
#                   started on loopback ($MELANGE2_REGISTRY) for the registry cache tests
#   melange         v0.59.1 built with the local Go -> $MELANGE2_TOOLS/melange ($MELANGE2_MELANGE,
#                   the reference `melange compile` the compile tests run side by side with ours)
#
# Tools live outside the repository so that a fresh clone reuses them.
set -euo pipefail

DENO_VERSION="${DENO_VERSION:-2.9.6}"
BUILDKIT_VERSION="${BUILDKIT_VERSION:-v0.32.2}"
APKO_VERSION="${APKO_VERSION:-v1.2.33}"
SPDX_TOOLS_GOLANG_VERSION="${SPDX_TOOLS_GOLANG_VERSION:-v0.5.7}"
GO_SPDX_VERSION="${GO_SPDX_VERSION:-v2.8.0}"
PY_SPDX_TOOLS_VERSION="${PY_SPDX_TOOLS_VERSION:-0.8.5}"
REGISTRY_VERSION="${REGISTRY_VERSION:-v3.1.2}"
MELANGE_VERSION="${MELANGE_VERSION:-v0.59.1}"
REGISTRY_ADDR="${MELANGE2_REGISTRY:-127.0.0.1:5000}"
TOOLS="${MELANGE2_TOOLS:-/opt/melange2}"
BUILDKIT_ADDR_UNIX="${MELANGE2_BUILDKIT_UNIX:-unix:///run/buildkit/buildkitd.sock}"
BUILDKIT_ADDR_TCP="${MELANGE2_TEST_TCP_ADDR:-tcp://127.0.0.1:11234}"
# What this set-up started, and where, so it stops only its own daemon.
RUN_DIR="${MELANGE2_RUN_DIR:-$TOOLS/run}"

log() { printf '[setup] %s\n' "$*" >&2; }

install_deno() {
  local bin="$TOOLS/deno/node_modules/.bin/deno"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "^deno ${DENO_VERSION%.*}"; then
    return
  fi
  log "installing Deno $DENO_VERSION from the npm registry"
  mkdir -p "$TOOLS/deno"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/deno" "deno@$DENO_VERSION" >&2
}

install_runc() {
  command -v runc >/dev/null 2>&1 && return
  log "installing runc from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq runc >&2
}

# Extra Debian packages the tests use: busybox-static for test root filesystems,
# openssl for certificates and signature checks, openssh-client for ssh agents.
install_debian_tools() {
  local missing=()
  [ -x /bin/busybox ] || missing+=(busybox-static)
  # The local repository's C toolchain is made from these Debian packages.
  # So are the tools the built-in pipelines need (scanelf, autoconf, wget...).
  for pkg in gcc-12 binutils make libc6-dev ca-certificates pax-utils perl m4 autoconf automake \
    autotools-dev libtool wget patch git ninja-build cmake ruby python3 python-is-python3 \
    python3-setuptools python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # ssh-agent, ssh-add and ssh-keygen for the ssh forwarding tests.
  command -v ssh-agent >/dev/null 2>&1 || missing+=(openssh-client)
  # tmux: the progress display is tested in a real terminal.
  command -v tmux >/dev/null 2>&1 || missing+=(tmux)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
}

# QEMU user emulation for melange's foreign architectures. Debian's package
# ships binfmt.d lines with the F (fix-binary) flag, which opens the emulator
# when registered so that it also works inside containers (where its path does
# not exist); without systemd nothing registers them, so the set-up does. It
# happens before buildkitd starts (a daemon already running finds the handlers
# too: BuildKit probes its emulators again when asked for its workers).
QEMU_ARCHS=(aarch64 arm ppc64le s390x riscv64 loongarch64)
BINFMT=/proc/sys/fs/binfmt_misc

install_qemu() {
  if ! dpkg-query -W -f='${Status}' qemu-user-static 2>/dev/null | grep -q "ok installed"; then
    log "installing qemu-user-static from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq qemu-user-static >&2
  fi
  if [ "$(id -u)" != 0 ]; then
    log "not root: cannot register the QEMU binfmt_misc handlers (foreign architectures will not build)"
    return
  fi
  if [ ! -e "$BINFMT/register" ]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" 2>/dev/null || {
      log "cannot mount binfmt_misc at $BINFMT: foreign architectures will not build"
      return
    }
  fi
  local arch conf name flags
  for arch in "${QEMU_ARCHS[@]}"; do
    conf="/usr/lib/binfmt.d/qemu-$arch.conf"
    [ -f "$conf" ] || continue
    name=$(cut -d: -f2 "$conf")
    flags=$(cut -d: -f8 "$conf")
    case "$flags" in *F*) ;; *) flags="${flags}F" ;; esac
    if [ -e "$BINFMT/$name" ]; then
      # Registered already: keep it when it is enabled and fixes the binary.
      if grep -qx enabled "$BINFMT/$name" && grep -q "^flags: .*F" "$BINFMT/$name"; then
        continue
      fi
      echo -1 >"$BINFMT/$name"
    fi
    log "registering $name with binfmt_misc (flags $flags)"
    # The conf's fields, with the flags the containers need.
    printf '%s' "$(cut -d: -f1-7 "$conf"):$flags" >"$BINFMT/register"
  done
}

# The local repository's busybox: Debian's dynamic build, unpacked (not
# installed: it conflicts with busybox-static). busybox-static's shell runs
# its own applets before anything in PATH, so a real wget or tar installed in
# a build environment would never run; this one, like Wolfi's, looks in PATH.
fetch_busybox() {
  local dir="$TOOLS/debs/busybox"
  [ -x "$dir/bin/busybox" ] && return
  log "unpacking Debian's busybox into $dir"
  local tmp
  tmp="$(mktemp -d)"
  chmod 755 "$tmp"
  (cd "$tmp" && { apt-get download busybox >&2 2>/dev/null || { apt-get update -qq >&2 && apt-get download busybox >&2; }; })
  mkdir -p "$dir.tmp"
  dpkg-deb -x "$tmp"/busybox_*.deb "$dir.tmp"
  rm -rf "$tmp" "$dir"
  mv "$dir.tmp" "$dir"
}

install_buildkit() {
  local dir="$TOOLS/buildkit/$BUILDKIT_VERSION"
  if [ -x "$dir/bin/buildkitd" ] && [ -x "$dir/bin/buildctl" ]; then
    return
  fi
  log "building buildkitd and buildctl $BUILDKIT_VERSION from the Go module proxy"
  # `go install ...@version` refuses modules whose go.mod has exclude
  # directives, so build inside a throwaway module that requires BuildKit.
  local mod
  mod=$(mktemp -d)
  (
    cd "$mod"
    go mod init melange2-buildkit-build >/dev/null 2>&1
    cat >tools.go <<GO
//go:build tools

package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
GO
    go get "github.com/moby/buildkit@$BUILDKIT_VERSION" >&2
    go mod tidy >&2 || true
    mkdir -p "$dir/bin.tmp"
    local ldflags="-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION"
    CGO_ENABLED=0 go build -ldflags "$ldflags" -o "$dir/bin.tmp/buildkitd" github.com/moby/buildkit/cmd/buildkitd >&2
    CGO_ENABLED=0 go build -ldflags "$ldflags" -o "$dir/bin.tmp/buildctl" github.com/moby/buildkit/cmd/buildctl >&2
  )
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
  rm -rf "$mod"
}

# scripts/llbref: BuildKit's own Go client replaying our graph descriptions,
# the oracle of the LLB differential tests and benchmark. Rebuilt when its
# source changes (the source's hash names the build).
install_llbref() {
  local here src hash dir
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  src="$here/llbref/main.go"
  hash=$(sha256sum "$src" | cut -c1-16)
  dir="$TOOLS/llbref"
  if [ -x "$dir/llbref" ] && [ "$(cat "$dir/source.sha256" 2>/dev/null)" = "$hash" ]; then
    return
  fi
  log "building llbref against BuildKit $BUILDKIT_VERSION's client/llb"
  local mod
  mod=$(mktemp -d)
  (
    cd "$mod"
    cp "$src" main.go
    go mod init melange2-llbref >/dev/null 2>&1
    go get "github.com/moby/buildkit@$BUILDKIT_VERSION" >&2
    go mod tidy >&2
    mkdir -p "$dir"
    CGO_ENABLED=0 go build -o "$dir/llbref.tmp" . >&2
  )
  mv "$dir/llbref.tmp" "$dir/llbref"
  echo "$hash" >"$dir/source.sha256"
  rm -rf "$mod"
}

# scripts/spdxcheck: SPDX 2.3 documents read by the SPDX project's Go library
# and checked against the specification, the oracle of the SBOM tests. Rebuilt
# when its source changes, like llbref.
install_spdxcheck() {
  local here src hash dir
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  src="$here/spdxcheck/main.go"
  hash=$(sha256sum "$src" | cut -c1-16)
  dir="$TOOLS/spdxcheck"
  if [ -x "$dir/spdxcheck" ] && [ "$(cat "$dir/source.sha256" 2>/dev/null)" = "$hash" ]; then
    return
  fi
  log "building spdxcheck against spdx/tools-golang $SPDX_TOOLS_GOLANG_VERSION"
  local mod
  mod=$(mktemp -d)
  (
    cd "$mod"
    cp "$src" main.go
    go mod init melange2-spdxcheck >/dev/null 2>&1
    go get "github.com/spdx/tools-golang@$SPDX_TOOLS_GOLANG_VERSION" \
      "github.com/github/go-spdx/v2@$GO_SPDX_VERSION" >&2
    go mod tidy >&2
    mkdir -p "$dir"
    CGO_ENABLED=0 go build -o "$dir/spdxcheck.tmp" . >&2
  )
  mv "$dir/spdxcheck.tmp" "$dir/spdxcheck"
  echo "$hash" >"$dir/source.sha256"
  rm -rf "$mod"
}

# The SPDX project's Python tools (pyspdxtools validates a document fully:
# identifiers, license references, file names), in a venv of their own.
install_spdx_tools() {
  local dir="$TOOLS/spdx-tools"
  [ -x "$dir/bin/pyspdxtools" ] && [ -f "$dir/.version-$PY_SPDX_TOOLS_VERSION" ] && return
  log "installing spdx-tools $PY_SPDX_TOOLS_VERSION from PyPI"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q "spdx-tools==$PY_SPDX_TOOLS_VERSION" >&2
  touch "$dir/.version-$PY_SPDX_TOOLS_VERSION"
}

install_apko() {
  local dir="$TOOLS/apko/$APKO_VERSION"
  [ -x "$dir/bin/apko" ] && return
  log "building apko $APKO_VERSION from the Go module proxy"
  # Built inside a throwaway module, like buildkitd. apko $APKO_VERSION wants
  # chainguard.dev/sdk v0.1.164, which the module proxy does not serve; v0.1.163
  # builds the same commands.
  local mod
  mod=$(mktemp -d)
  (
    cd "$mod"
    go mod init melange2-apko-build >/dev/null 2>&1
    cat >tools.go <<GO
//go:build tools

package tools

import _ "chainguard.dev/apko"
GO
    go mod edit -replace chainguard.dev/sdk=chainguard.dev/sdk@v0.1.163
    go get "chainguard.dev/apko@$APKO_VERSION" >&2
    go mod tidy >&2 || true
    mkdir -p "$dir/bin.tmp"
    local ldflags="-X sigs.k8s.io/release-utils/version.gitVersion=$APKO_VERSION"
    CGO_ENABLED=0 go build -ldflags "$ldflags" -o "$dir/bin.tmp/apko" chainguard.dev/apko >&2
  )
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
  rm -rf "$mod"
}

# Go melange itself, the reference implementation of `melange2 compile`
# (tests/config_melange_test.ts runs both on the same files). Built inside a
# throwaway module like apko: melange $MELANGE_VERSION wants chainguard.dev/sdk
# v0.1.164, which the module proxy does not serve, so v0.1.163 replaces it.
install_melange() {
  local dir="$TOOLS/melange/$MELANGE_VERSION"
  [ -x "$dir/melange" ] && "$dir/melange" version >/dev/null 2>&1 && return
  log "building melange $MELANGE_VERSION from the Go module proxy"
  local mod
  mod=$(mktemp -d)
  (
    cd "$mod"
    go mod init melange2-melange-build >/dev/null 2>&1
    go mod edit -replace chainguard.dev/sdk=chainguard.dev/sdk@v0.1.163
    go get "chainguard.dev/melange@$MELANGE_VERSION" >&2
    mkdir -p "$dir"
    CGO_ENABLED=0 go build -o "$dir/melange.tmp" chainguard.dev/melange >&2
  )
  mv "$dir/melange.tmp" "$dir/melange"
  rm -rf "$mod"
}

# distribution's registry (the OCI registry reference implementation), for
# `--cache-to type=registry` against a real registry on loopback.
install_registry() {
  local dir="$TOOLS/registry/$REGISTRY_VERSION"
  [ -x "$dir/bin/registry" ] && return
  log "building distribution's registry $REGISTRY_VERSION from the Go module proxy"
  local mod
  mod=$(mktemp -d)
  (
    cd "$mod"
    go mod init melange2-registry-build >/dev/null 2>&1
    cat >tools.go <<GO
//go:build tools

package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
GO
    go get "github.com/distribution/distribution/v3@$REGISTRY_VERSION" >&2
    go mod tidy >&2 || true
    mkdir -p "$dir/bin.tmp"
    CGO_ENABLED=0 go build -o "$dir/bin.tmp/registry" github.com/distribution/distribution/v3/cmd/registry >&2
  )
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
  rm -rf "$mod"
}

# Whether a registry answers there: GET /v2/ is 200 (bash's /dev/tcp; no curl on a bare machine).
registry_answers() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" &&
    printf "GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" >&3 && head -n 1 <&3' \
    _ "${REGISTRY_ADDR%:*}" "${REGISTRY_ADDR##*:}" 2>/dev/null | grep -q "^HTTP/1\.[01] 200"
}

# Starts the registry on loopback unless one answers there; its pid goes to
# $RUN_DIR/registry.pid (as buildkitd's), its storage to $RUN_DIR/registry.
start_registry() {
  registry_answers && return
  local pid
  pid=$(cat "$RUN_DIR/registry.pid" 2>/dev/null) &&
    kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = registry ] && {
    log "the registry this set-up started (pid $pid) does not answer; stopping it"
    kill "$pid"
    sleep 1
  }
  if taken "tcp://$REGISTRY_ADDR"; then
    log "something that is not a registry holds $REGISTRY_ADDR; the registry cache tests will skip"
    return
  fi
  mkdir -p "$RUN_DIR/registry" "$TOOLS/log"
  cat >"$RUN_DIR/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RUN_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YML
  log "starting distribution's registry at $REGISTRY_ADDR"
  setsid nohup "$TOOLS/registry/$REGISTRY_VERSION/bin/registry" serve "$RUN_DIR/registry.yml" \
    >"$TOOLS/log/registry.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/registry.pid"
  for _ in $(seq 1 30); do
    registry_answers && return
    sleep 0.5
  done
  log "the registry did not answer within 15s; its log:"
  tail -n 20 "$TOOLS/log/registry.log" >&2
}

# Debian's PostgreSQL for `melange2 serve --database postgres://...`: its
# default cluster started (it listens on loopback only), a `melange2` role that
# may create databases (each test makes its own) and a `melange2` database.
POSTGRES_URL="${MELANGE2_POSTGRES:-postgres://melange2:melange2@127.0.0.1:5432/melange2}"
install_postgres() {
  if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    log "installing postgresql from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
}

start_postgres() {
  [ "$(id -u)" = 0 ] || return 0
  local ver name port status
  read -r ver name port status _ < <(pg_lsclusters -h | head -n 1)
  case "$status" in online*) ;; *)
    log "starting PostgreSQL $ver/$name on port $port"
    pg_ctlcluster "$ver" "$name" start >&2
    ;;
  esac
  su postgres -c "psql -q -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'melange2'\"" |
    grep -q 1 ||
    su postgres -c "psql -q -p $port -c \"CREATE ROLE melange2 LOGIN CREATEDB PASSWORD 'melange2'\"" >&2
  su postgres -c "psql -q -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = 'melange2'\"" |
    grep -q 1 || su postgres -c "createdb -p $port -O melange2 melange2" >&2
}

answers() {
  # -k: buildctl may not stop on SIGTERM while it dials.
  timeout -k 1 "${MELANGE2_PROBE_TIMEOUT:-10}" "$TOOLS/buildkit/$BUILDKIT_VERSION/bin/buildctl" \
    --addr "$1" debug workers >/dev/null 2>&1
}

# Whether something listens at an address (answering or not).
taken() {
  case "$1" in
    unix://*) [ -S "${1#unix://}" ] ;;
    tcp://*)
      local hp="${1#tcp://}"
      (exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}") 2>/dev/null
      ;;
  esac
}

# The pid of the buildkitd this set-up started, if it still runs.
our_daemon() {
  local pid
  pid=$(cat "$RUN_DIR/buildkitd.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = buildkitd ] && echo "$pid"
}

# Addresses chosen by an earlier run (the defaults were taken then).
if [ -f "$RUN_DIR/addresses" ]; then
  # shellcheck disable=SC1091
  source "$RUN_DIR/addresses"
fi

# Starts buildkitd unless one answers at both addresses. It never stops a
# process it did not start: when the defaults are held by something that
# does not answer, it says so and starts its own daemon on its own addresses.
start_buildkitd() {
  local bk="$TOOLS/buildkit/$BUILDKIT_VERSION/bin" pid
  # Patient: a daemon that is starting (or busy) may take a while to answer.
  for _ in 1 2 3; do
    if answers "$BUILDKIT_ADDR_UNIX" && answers "$BUILDKIT_ADDR_TCP"; then return; fi
    taken "$BUILDKIT_ADDR_UNIX" || taken "$BUILDKIT_ADDR_TCP" || break
    sleep 2
  done
  if [ "$(id -u)" != 0 ]; then
    log "buildkitd is not running and this is not root: start it with"
    log "  sudo $bk/buildkitd --addr $BUILDKIT_ADDR_UNIX --addr $BUILDKIT_ADDR_TCP --allow-insecure-entitlement security.insecure"
    exit 1
  fi
  if pid=$(our_daemon); then
    log "the buildkitd this set-up started (pid $pid) does not answer; stopping it"
    kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  local root="/var/lib/buildkit"
  if taken "$BUILDKIT_ADDR_UNIX" || taken "$BUILDKIT_ADDR_TCP" || pgrep -x buildkitd >/dev/null; then
    local what
    what=$(pgrep -a -x buildkitd | head -n 1 || true)
    log "something else holds $BUILDKIT_ADDR_UNIX or $BUILDKIT_ADDR_TCP (${what:-not a buildkitd}) and does not answer at both; leaving it alone"
    BUILDKIT_ADDR_UNIX="unix://$RUN_DIR/buildkitd.sock"
    BUILDKIT_ADDR_TCP="tcp://127.0.0.1:$(free_port)"
    root="$RUN_DIR/root"
    log "using melange2's own daemon at $BUILDKIT_ADDR_UNIX and $BUILDKIT_ADDR_TCP"
    mkdir -p "$RUN_DIR"
    printf 'BUILDKIT_ADDR_UNIX=%q\nBUILDKIT_ADDR_TCP=%q\n' "$BUILDKIT_ADDR_UNIX" "$BUILDKIT_ADDR_TCP" \
      >"$RUN_DIR/addresses"
  fi
  log "starting buildkitd at $BUILDKIT_ADDR_UNIX and $BUILDKIT_ADDR_TCP"
  local sock="${BUILDKIT_ADDR_UNIX#unix://}"
  mkdir -p "$(dirname "$sock")" "$TOOLS/log" "$RUN_DIR"
  PATH="$bk:$PATH" setsid nohup "$bk/buildkitd" \
    --root "$root" \
    --addr "$BUILDKIT_ADDR_UNIX" --addr "$BUILDKIT_ADDR_TCP" \
    --allow-insecure-entitlement security.insecure \
    --oci-worker-snapshotter=overlayfs \
    >"$TOOLS/log/buildkitd.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/buildkitd.pid"
  for _ in $(seq 1 60); do
    if answers "$BUILDKIT_ADDR_UNIX" && answers "$BUILDKIT_ADDR_TCP"; then
      log "buildkitd answers"
      return
    fi
    sleep 1
  done
  log "buildkitd did not answer within 60s; its log:"
  tail -n 30 "$TOOLS/log/buildkitd.log" >&2
  exit 1
}

# A TCP port on loopback that nothing listens on.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

install_deno
install_runc
install_debian_tools
install_qemu
fetch_busybox
install_buildkit
install_llbref
install_spdxcheck
install_spdx_tools
install_apko
install_registry
install_melange
install_postgres
start_buildkitd
start_registry
start_postgres

# The local repository's foreign architecture (aarch64 beside x86_64, or the
# other way round) is made from Debian's packages of that architecture.
add_foreign_arch() {
  local foreign
  case "$(dpkg --print-architecture)" in
  amd64) foreign=arm64 ;;
  arm64) foreign=amd64 ;;
  *) return ;;
  esac
  apt-cache show --no-all-versions "libc6:$foreign" >/dev/null 2>&1 && return
  log "adding Debian's $foreign architecture (for the local repository's $foreign packages)"
  dpkg --add-architecture "$foreign"
  apt-get update -qq >&2
}
add_foreign_arch

# The signed local repository the examples build from (made once, kept in
# /var/cache/melange2/local-repo, remade only when its inputs change), with
# x86_64/ and aarch64/ (its busybox listed under QEMU, registered above).
make_local_repo() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  "$TOOLS/deno/node_modules/.bin/deno" run -A --frozen --config "$here/../deno.json" "$here/local_repo.ts" >&2
}
# MELANGE2_SETUP_DAEMON_ONLY=1: tools and daemon only (the repository is someone else's concern).
[ "${MELANGE2_SETUP_DAEMON_ONLY:-}" = 1 ] || make_local_repo

# Print the environment the other scripts source.
cat <<ENV
export PATH="$TOOLS/deno/node_modules/.bin:$TOOLS/buildkit/$BUILDKIT_VERSION/bin:\$PATH"
export MELANGE2_BUILDKIT_BIN="$TOOLS/buildkit/$BUILDKIT_VERSION/bin"
export MELANGE2_APKO="$TOOLS/apko/$APKO_VERSION/bin/apko"
export MELANGE2_TEST_TCP_ADDR="$BUILDKIT_ADDR_TCP"
export MELANGE2_LLBREF="$TOOLS/llbref/llbref"
export MELANGE2_SPDXCHECK="$TOOLS/spdxcheck/spdxcheck"
export MELANGE2_PYSPDXTOOLS="$TOOLS/spdx-tools/bin/pyspdxtools"
export MELANGE2_MELANGE="$TOOLS/melange/$MELANGE_VERSION/melange"
export MELANGE2_REGISTRY="$REGISTRY_ADDR"
export MELANGE2_POSTGRES="$POSTGRES_URL"
# Deno looks for a newer version of itself on every run (a DNS query for
# dl.deno.land in the background); the set-up pins the version instead.
export DENO_NO_UPDATE_CHECK=1
ENV
# Our own daemon, when the default address was taken: everything uses it.
if [ "$BUILDKIT_ADDR_UNIX" != "unix:///run/buildkit/buildkitd.sock" ]; then
  echo "export BUILDKIT_HOST=\"$BUILDKIT_ADDR_UNIX\""
fi
