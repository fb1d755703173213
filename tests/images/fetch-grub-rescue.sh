#!/bin/sh
# Debian's own GRUB rescue CD (package grub-rescue-pc: grub-rescue-cdrom.iso,
# a GRUB BIOS image with a menu on the VGA text screen), for
# tests/boot/grub-rescue-cd.sh. Fetched with apt-get download and unpacked
# with dpkg-deb -x (no root), into ${TURTLES_CACHE:-$HOME/.cache/turtles};
# skipped when already there.
set -eu
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
log() { echo "fetch-grub-rescue: $*" >&2; }
die() { echo "fetch-grub-rescue: error: $*" >&2; exit 1; }
out=$cache/grub-rescue-cdrom.iso
mkdir -p "$cache/debs"
exec 9> "$cache/.grub-rescue-lock"
flock 9
if [ -f "$out" ]; then
    log "up to date"
    exit 0
fi
work=$(mktemp -d "$cache/grub-rescue.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$cache/debs" && apt-get download grub-rescue-pc >/dev/null 2>&1) ||
    die "apt-get download grub-rescue-pc failed"
deb=$(ls -t "$cache"/debs/grub-rescue-pc_*.deb | head -1)
dpkg-deb -x "$deb" "$work/x" || die "dpkg-deb -x $deb failed"
[ -s "$work/x/usr/lib/grub-rescue/grub-rescue-cdrom.iso" ] || die "no grub-rescue-cdrom.iso in $deb"
cp "$work/x/usr/lib/grub-rescue/grub-rescue-cdrom.iso" "$out.tmp"
mv "$out.tmp" "$out"
log "wrote $out (from $(basename "$deb"))"
