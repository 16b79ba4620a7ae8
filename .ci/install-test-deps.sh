#!/usr/bin/env bash
# Make sure the real tools camshim's tests drive are on this machine (Debian), before `npm test`.
#
# Runs as npm's pretest step, so `npm test` and .ci/run (which calls `npm test`) share it.
# Everything present: returns at once, silently. Something missing: as root, installs the Debian
# packages with apt-get (once, quietly; package scripts are kept from starting services through
# /usr/sbin/policy-rc.d) and builds busybox's ntpd applet (.ci/build-busybox-ntpd.sh); as another
# user, stops with the exact commands to run.
#
# Usage: .ci/install-test-deps.sh [--check]   (--check: report what is missing, install nothing)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
busybox_ntpd="${repo_root}/.cache/busybox-ntpd/busybox"
# Daemons live in sbin, which a non-root PATH often lacks.
export PATH="${PATH}:/usr/local/sbin:/usr/sbin:/sbin"

# command the tests run -> Debian package that provides it
declare -A provider=(
  [dig]=bind9-dnsutils [kdig]=knot-dnsutils [dnsperf]=dnsperf
  [dnsmasq]=dnsmasq-base [unbound]=unbound
  [chronyd]=chrony [chronyc]=chrony [ntpdig]=ntpsec-ntpdig [sntp]=sntp
  [nft]=nftables [ip]=iproute2 [unshare]=util-linux [nsenter]=util-linux [setpriv]=util-linux
  [busybox]=busybox [systemd-analyze]=systemd [systemd-notify]=systemd [python3]=python3
  # The dashboard's browser test drives Debian's headless Chromium through playwright-core.
  [chromium]=chromium
)
# What .ci/build-busybox-ntpd.sh needs to build busybox's ntpd applet from Debian's source package (it can
# install them itself, but only here do they come after an apt-get update, which a fresh machine needs).
build_packages=(dpkg-dev gcc libc6-dev make bzip2 xz-utils)

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

missing_packages() {
  local -A seen=()
  local command
  for command in "${!provider[@]}"; do
    command -v "${command}" >/dev/null 2>&1 || seen[${provider[${command}]}]=1
  done
  # The DHCP tests use the udhcpc and udhcpd applets of Debian's busybox.
  if command -v busybox >/dev/null 2>&1; then
    busybox udhcpc --help >/dev/null 2>&1 && busybox udhcpd --help >/dev/null 2>&1 || seen[busybox]=1
  fi
  if ! busybox_ntpd_ok; then
    local package
    for package in "${build_packages[@]}"; do dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q 'ok installed' || seen[${package}]=1; done
  fi
  printf '%s\n' "${!seen[@]}" | sort
}

busybox_ntpd_ok() { [[ -x "${busybox_ntpd}" ]] && "${busybox_ntpd}" ntpd --help 2>&1 | grep -q -- '-p'; }

mapfile -t packages < <(missing_packages | sed '/^$/d')
if ((${#packages[@]} == 0)) && busybox_ntpd_ok; then
  exit 0
fi

if [[ "${1:-}" == "--check" || "$(id -u)" -ne 0 ]]; then
  log "the tests need tools this machine lacks. Install them as root, then run npm test again:"
  if ((${#packages[@]})); then
    printf '  sudo apt-get install -y --no-install-recommends %s\n' "${packages[*]}" >&2
  fi
  busybox_ntpd_ok || printf '  .ci/build-busybox-ntpd.sh   # busybox with the ntpd applet, into .cache/busybox-ntpd/\n' >&2
  printf '  (or let this script do it as root: sudo %s)\n' "${repo_root}/.ci/install-test-deps.sh" >&2
  exit 1
fi

command -v apt-get >/dev/null || { log "error: apt-get not found: the test tools are installed from Debian packages"; exit 1; }

if ((${#packages[@]})); then
  log "installing ${packages[*]}"
  # Debian's way to keep package scripts from starting the services they install (chronyd, unbound,
  # dnsmasq would take ports and change the clock): policy-rc.d exits 101, "action forbidden".
  # Ours is in place only during the install; one the machine already has is set aside and put back.
  policy=/usr/sbin/policy-rc.d
  saved="${policy}.camshim-saved"
  if [[ -e "${saved}" ]]; then log "error: ${saved} exists (an interrupted run?); move it back to ${policy} first"; exit 1; fi
  [[ -e "${policy}" ]] && mv "${policy}" "${saved}"
  restore_policy() { rm -f "${policy}"; if [[ -e "${saved}" ]]; then mv "${saved}" "${policy}"; fi; }
  trap restore_policy EXIT
  # An interrupt ends the script through its EXIT trap, so the machine's own policy is put back.
  trap 'exit 130' INT TERM HUP
  printf '#!/bin/sh\n# Installed by camshim .ci/install-test-deps.sh for the duration of an apt-get install.\nexit 101\n' >"${policy}"
  chmod 0755 "${policy}"

  apt_log="$(mktemp)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"${apt_log}" 2>&1; then
    tail -n 30 "${apt_log}" >&2
    rm -f "${apt_log}"
    log "error: apt-get install failed"
    exit 1
  fi
  rm -f "${apt_log}"
  restore_policy
  trap - EXIT INT TERM HUP
fi

mkdir -p "${repo_root}/.cache"
busybox_ntpd_ok || "${repo_root}/.ci/build-busybox-ntpd.sh" 2>"${repo_root}/.cache/build-busybox-ntpd.log" || {
  tail -n 30 "${repo_root}/.cache/build-busybox-ntpd.log" >&2
  log "error: building busybox ntpd failed (log: .cache/build-busybox-ntpd.log)"
  exit 1
}

mapfile -t still < <(missing_packages | sed '/^$/d')
if ((${#still[@]})) || ! busybox_ntpd_ok; then
  log "error: still missing after the install: ${still[*]:-} $(busybox_ntpd_ok || echo "${busybox_ntpd}")"
  exit 1
fi
log "test tools installed"
