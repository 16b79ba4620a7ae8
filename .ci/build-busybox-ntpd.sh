#!/usr/bin/env bash
# Build a busybox binary with only the ntpd applet, from Debian's busybox source
# package, for camshim's NTP client-compatibility tests.
#
# Debian's busybox packages lack the ntpd applet, so the tests cannot use them.
# Output: .cache/busybox-ntpd/busybox (relative to the repository root).
# Idempotent: exits at once when that binary already exists and has ntpd.
#
# Needs: apt (Debian), dpkg-dev (dpkg-source), build-essential (gcc, make).
# apt-get source runs against a private copy of the Debian sources lists with
# Types: deb-src and its own lists/cache directories under .cache/, so the
# machine's apt configuration is left untouched. As root it can
# apt-get install the build tools when they are missing.
#
# Usage: .ci/build-busybox-ntpd.sh [--force]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${repo_root}/.cache/busybox-ntpd"
out_bin="${out_dir}/busybox"
work="${out_dir}/work"

log() { printf 'build-busybox-ntpd: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ "${1:-}" != "--force" && -x "${out_bin}" ]] && "${out_bin}" ntpd --help 2>&1 | grep -q -- '-p'; then
  log "already built: ${out_bin}"
  exit 0
fi

need_tools=()
command -v apt-get >/dev/null || die "apt-get not found: this script needs a Debian-based system"
command -v dpkg-source >/dev/null || need_tools+=(dpkg-dev)
command -v gcc >/dev/null || need_tools+=(gcc libc6-dev)
command -v make >/dev/null || need_tools+=(make)
command -v bzip2 >/dev/null || need_tools+=(bzip2)
command -v xz >/dev/null || need_tools+=(xz-utils)
if ((${#need_tools[@]})); then
  if [[ "$(id -u)" -eq 0 ]]; then
    log "installing build tools: ${need_tools[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_tools[@]}" >&2
  else
    die "missing build tools; install: ${need_tools[*]}"
  fi
fi

mkdir -p "${out_dir}"
rm -rf "${work}"
mkdir -p "${work}/apt/sources.list.d" "${work}/apt/lists/partial" "${work}/apt/cache/archives/partial" "${work}/src"

# Mirror the machine's deb entries as deb-src entries in a private apt tree.
found=0
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -e "$f" ]] || continue
  sed -E 's/^Types:.*/Types: deb-src/' "$f" >"${work}/apt/sources.list.d/$(basename "$f")"
  found=1
done
: >"${work}/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -e "$f" ]] || continue
  grep -E '^[[:space:]]*deb[[:space:]]' "$f" | sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' >>"${work}/apt/sources.list" || true
  found=1
done
((found)) || die "no apt sources found in /etc/apt"

apt_opts=(
  -o "Dir::Etc::SourceList=${work}/apt/sources.list"
  -o "Dir::Etc::SourceParts=${work}/apt/sources.list.d"
  -o "Dir::State::Lists=${work}/apt/lists"
  -o "Dir::Cache=${work}/apt/cache"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
  -o "Acquire::IndexTargets::deb::Packages::DefaultEnabled=false"
  -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
)
log "fetching Debian source index (deb-src)"
apt-get "${apt_opts[@]}" -qq update >&2
log "apt-get source busybox"
(cd "${work}/src" && apt-get "${apt_opts[@]}" -qq source busybox >&2)

src_dir="$(find "${work}/src" -mindepth 1 -maxdepth 1 -type d -name 'busybox-*' | head -n 1)"
[[ -n "${src_dir}" ]] || die "busybox source directory not found after apt-get source"
log "building in ${src_dir}"

cd "${src_dir}"
make -s allnoconfig >/dev/null
# Only the ntpd applet (plus what it needs); no server side, no config file.
set_opt() { # set_opt NAME y|n
  sed -i -E "/^(# )?CONFIG_$1[= ]/d" .config
  if [[ "$2" == y ]]; then echo "CONFIG_$1=y" >>.config; else echo "# CONFIG_$1 is not set" >>.config; fi
}
set_opt NTPD y
set_opt FEATURE_NTPD_SERVER n
set_opt FEATURE_NTPD_CONF n
set_opt FEATURE_NTP_AUTH n
set_opt SHOW_USAGE y
set_opt FEATURE_VERBOSE_USAGE y
set_opt LONG_OPTS y
yes '' | make -s oldconfig >/dev/null 2>&1 || true
grep -q '^CONFIG_NTPD=y' .config || die "CONFIG_NTPD did not stick in .config"
make -s -j"$(nproc 2>/dev/null || echo 2)" busybox >&2

install -m 0755 busybox "${out_bin}"
"${out_bin}" ntpd --help 2>&1 | grep -q -- '-p' || die "built busybox has no usable ntpd applet"
rm -rf "${work}"
log "built ${out_bin}"
