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
#
# Tools live outside the repository so that a fresh clone reuses them.
set -euo pipefail

DENO_VERSION="${DENO_VERSION:-2.9.6}"
BUILDKIT_VERSION="${BUILDKIT_VERSION:-v0.32.2}"
TOOLS="${MELANGE2_TOOLS:-/opt/melange2}"
BUILDKIT_ADDR_UNIX="unix:///run/buildkit/buildkitd.sock"
BUILDKIT_ADDR_TCP="${MELANGE2_TEST_TCP_ADDR:-tcp://127.0.0.1:11234}"

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
    autotools-dev libtool wget; do
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
# must happen before buildkitd starts: the daemon detects its platforms once.
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

answers() {
  timeout 10 "$TOOLS/buildkit/$BUILDKIT_VERSION/bin/buildctl" --addr "$1" debug workers >/dev/null 2>&1
}

start_buildkitd() {
  local bk="$TOOLS/buildkit/$BUILDKIT_VERSION/bin"
  if answers "$BUILDKIT_ADDR_UNIX" && answers "$BUILDKIT_ADDR_TCP"; then
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    log "buildkitd is not running and this is not root: start it with"
    log "  sudo $bk/buildkitd --addr $BUILDKIT_ADDR_UNIX --addr $BUILDKIT_ADDR_TCP --allow-insecure-entitlement security.insecure"
    exit 1
  fi
  if pgrep -x buildkitd >/dev/null; then
    log "a buildkitd runs but does not answer at both addresses; stopping it"
    pkill -x buildkitd || true
    sleep 2
  fi
  log "starting buildkitd at $BUILDKIT_ADDR_UNIX and $BUILDKIT_ADDR_TCP"
  mkdir -p /run/buildkit "$TOOLS/log"
  PATH="$bk:$PATH" setsid nohup "$bk/buildkitd" \
    --addr "$BUILDKIT_ADDR_UNIX" --addr "$BUILDKIT_ADDR_TCP" \
    --allow-insecure-entitlement security.insecure \
    --oci-worker-snapshotter=overlayfs \
    >"$TOOLS/log/buildkitd.log" 2>&1 </dev/null &
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

install_deno
install_runc
install_debian_tools
install_qemu
fetch_busybox
install_buildkit
install_llbref
start_buildkitd

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
make_local_repo

# Print the environment the other scripts source.
cat <<ENV
export PATH="$TOOLS/deno/node_modules/.bin:$TOOLS/buildkit/$BUILDKIT_VERSION/bin:\$PATH"
export MELANGE2_BUILDKIT_BIN="$TOOLS/buildkit/$BUILDKIT_VERSION/bin"
export MELANGE2_TEST_TCP_ADDR="$BUILDKIT_ADDR_TCP"
export MELANGE2_LLBREF="$TOOLS/llbref/llbref"
# Deno looks for a newer version of itself on every run (a DNS query for
# dl.deno.land in the background); the set-up pins the version instead.
export DENO_NO_UPDATE_CHECK=1
ENV
