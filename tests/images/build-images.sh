#!/bin/sh
# Build the turtles guest images from Debian packages into a cache folder.
#
#   tests/images/build-images.sh [--with-qemu] [--force]
#
# Output (in ${TURTLES_CACHE:-$HOME/.cache/turtles}):
#   vmlinuz                   Debian's unmodified bzImage (linux-image-6.1.0-N-amd64)
#   initramfs.cpio.gz         busybox + kernel modules + /init + the in-guest KVM tests
#   kernel.version            which kernel package and version the images hold
#   initramfs-l1host.cpio.gz  (--with-qemu) the above plus Debian's qemu-system-x86,
#                             so that an L1 guest can start an L2 guest
#
# Packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x`; nothing is
# installed on the build machine. The build is skipped when the package versions and the
# sources it uses have not changed since the last run.
set -eu

usage() { echo "usage: $0 [--with-qemu] [--force]" >&2; exit 2; }

script_args="$*"
with_qemu=0
force=0
for arg in "$@"; do
    case "$arg" in
    --with-qemu) with_qemu=1 ;;
    --force) force=1 ;;
    -h|--help) usage ;;
    *) usage ;;
    esac
done

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
debs="$cache/debs"
work="$cache/work"
mkdir -p "$cache" "$debs"

log() { echo "build-images: $*" >&2; }
die() { echo "build-images: error: $*" >&2; exit 1; }

need_tool() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found (apt-get install -y $2)"
}
need_tool apt-get apt
need_tool dpkg-deb dpkg
need_tool cpio cpio
need_tool gzip gzip
# The in-guest programs are x86-64 Linux binaries: other build machines need a cross compiler.
case "$(uname -m)" in
x86_64|amd64) guest_cc=${GUEST_CC:-gcc} ;;
*) guest_cc=${GUEST_CC:-x86_64-linux-gnu-gcc} ;;
esac
need_tool "$guest_cc" "gcc (or gcc-x86-64-linux-gnu libc6-dev-amd64-cross on non-amd64 machines)"
need_tool flock util-linux
echo '#include <linux/kvm.h>' | "$guest_cc" -E - >/dev/null 2>&1 ||
    die "linux/kvm.h missing (apt-get install -y linux-libc-dev)"
[ -f "$("$guest_cc" -print-file-name=libc.a)" ] || die "static libc missing (apt-get install -y libc6-dev)"

# One build at a time per cache (parallel test runners may all ask for the images).
exec 9> "$cache/.lock"
flock 9

# --- package resolution ----------------------------------------------------------------

update_lists() {
    log "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
}

# Package lists that lack what we need, or name versions the mirror no longer has: update them
# once and start again, since everything resolved so far came from the old lists.
refresh_lists_and_restart() {
    [ "${TURTLES_LISTS_UPDATED:-0}" = 0 ] || die "$1"
    update_lists
    log "restarting with fresh package lists"
    TURTLES_LISTS_UPDATED=1 exec sh "$0" $script_args
}

# linux-image-amd64 is a metapackage; the kernel itself is in linux-image-<abi>-amd64.
resolve_kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
kpkg=$(resolve_kernel_package)
[ -n "$kpkg" ] || refresh_lists_and_restart "cannot resolve linux-image-amd64 to a versioned kernel package"
krel=${kpkg#linux-image-}                  # 6.1.0-N-amd64: the modules folder name
kabi=$(echo "$krel" | sed -n 's/^[0-9]*\.[0-9]*\.[0-9]*-\([0-9]*\)-amd64$/\1/p')

# Candidate versions in one apt-cache call (each call reads all package lists: ~1 s).
apt-cache policy "$kpkg" busybox-static qemu-system-x86 2>/dev/null | awk '
    /^[^ ]/ { p = $1; sub(/:$/, "", p); sub(/:amd64$/, "", p) }
    /^  Candidate:/ { if ($2 != "(none)") print p, $2 }' > "$cache/.versions"
version_of() { awk -v p="$1" '$1 == p { print $2; exit }' "$cache/.versions"; }
kver=$(version_of "$kpkg")
[ -n "$kver" ] || refresh_lists_and_restart "no candidate version for $kpkg"
bbver=$(version_of busybox-static)
[ -n "$bbver" ] || refresh_lists_and_restart "no candidate version for busybox-static"

# Debian's filename for a package version: the epoch's ':' becomes '%3a'.
deb_file() { echo "$debs/$1_$(echo "$2" | sed 's/:/%3a/')_$3.deb"; }

# The .deb of PKG at VERSION in $debs, or nothing.
deb_path() {
    for f in "$(deb_file "$1" "$2" amd64)" "$(deb_file "$1" "$2" all)"; do
        [ -s "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

# download_debs PKG=VERSION...: fetches those not in $debs yet, in one apt-get call.
download_debs() {
    missing=""
    for pv in "$@"; do
        deb_path "${pv%%=*}" "${pv#*=}" >/dev/null || missing="$missing $pv"
    done
    [ -n "$missing" ] || return 0
    log "downloading $(echo $missing | wc -w) packages"
    (cd "$debs" && apt-get download -qq $missing 2>&1 | grep -v 'unsandboxed' >&2) || true
    for pv in $missing; do
        deb_path "${pv%%=*}" "${pv#*=}" >/dev/null ||
            refresh_lists_and_restart "apt-get download $pv failed"
    done
}

# --- up-to-date check --------------------------------------------------------------------

src_hash=$(cat "$here/build-images.sh" "$here/init.sh" "$repo"/tests/guests/kvm-*.c "$repo"/tests/guests/kvmtest.h | sha256sum | cut -c1-16)
key="kernel=$kpkg=$kver busybox=$bbver src=$src_hash"
plain_fresh=0
if [ "$force" = 0 ] && [ -f "$cache/images.stamp" ] && [ "$(cat "$cache/images.stamp")" = "$key" ] &&
   [ -s "$cache/vmlinuz" ] && [ -s "$cache/initramfs.cpio.gz" ]; then
    plain_fresh=1
fi
if [ "$with_qemu" = 1 ]; then
    qver=$(version_of qemu-system-x86)
    [ -n "$qver" ] || refresh_lists_and_restart "no candidate version for qemu-system-x86"
    l1key="$key qemu-system-x86=$qver"
fi
if [ "$plain_fresh" = 1 ] && { [ "$with_qemu" = 0 ] || { [ -f "$cache/l1host.stamp" ] &&
    [ "$(cat "$cache/l1host.stamp")" = "$l1key" ] && [ -s "$cache/initramfs-l1host.cpio.gz" ]; }; }; then
    log "up to date ($kpkg $kver) in $cache"
    exit 0
fi

# --- kernel and modules -----------------------------------------------------------------

rm -rf "$work"
mkdir -p "$work"
download_debs "$kpkg=$kver" "busybox-static=$bbver"
kdeb=$(deb_path "$kpkg" "$kver")
bbdeb=$(deb_path busybox-static "$bbver")

log "unpacking $kpkg"
dpkg-deb -x "$kdeb" "$work/kernel"
dpkg-deb -x "$bbdeb" "$work/busybox"
[ -f "$work/kernel/boot/vmlinuz-$krel" ] || die "no /boot/vmlinuz-$krel in $kpkg"
moddir="$work/kernel/lib/modules/$krel"
[ -d "$moddir/kernel" ] || die "no lib/modules/$krel/kernel in $kpkg"

root="$work/root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/dev" "$root/proc" \
    "$root/sys" "$root/tmp" "$root/run" "$root/etc" "$root/root" "$root/lib/modules/$krel"

# Modules the tests need; their dependencies are added by following each module's
# "depends=" modinfo entry (Debian's package carries no modules.dep: depmod runs at install
# time, and kmod need not be present on the build machine).
wanted="irqbypass kvm kvm_intel kvm_amd e1000 virtio_pci virtio_blk virtio_net virtio_console
ata_piix libata sd_mod sr_mod isofs ext4 crc32c_generic"

# name -> path index; module names treat '-' and '_' as the same character.
(cd "$moddir" && find kernel -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz') |
    awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", n); gsub(/-/, "_", n); print n, $0 }' \
    > "$work/modindex"
is_builtin() {
    [ -f "$moddir/modules.builtin" ] &&
        sed 's,.*/,,; s,\.ko$,,' "$moddir/modules.builtin" | tr - _ | grep -qx "$1"
}

# Copies module $1 (decompressed: busybox insmod reads plain ELF only) and its dependencies
# into the image, and appends "path: deps" lines to the image's modules.dep.
: > "$work/modlist"
add_module() {
    name=$(echo "$1" | tr - _)
    grep -qx "$name" "$work/modlist" && return 0
    src=$(awk -v n="$name" '$1 == n { print $2; exit }' "$work/modindex")
    if [ -z "$src" ]; then
        is_builtin "$name" && { log "module $name is built into the kernel"; return 0; }
        die "module $name not found in $kpkg"
    fi
    echo "$name" >> "$work/modlist"
    plain=$(echo "$src" | sed 's/\.\(xz\|zst\|gz\)$//')
    dst="$root/lib/modules/$krel/$plain"
    mkdir -p "$(dirname "$dst")"
    case "$src" in
    *.xz) need_tool xz xz-utils; xz -dc "$moddir/$src" > "$dst" ;;
    *.zst) need_tool zstd zstd; zstd -qdc "$moddir/$src" > "$dst" ;;
    *.gz) gzip -dc "$moddir/$src" > "$dst" ;;
    *) cp "$moddir/$src" "$dst" ;;
    esac
    deps=$(tr '\0' '\n' < "$dst" | sed -n 's/^depends=//p' | head -n 1 | tr , ' ')
    echo "$name $plain $deps" >> "$root/lib/modules/$krel/turtles.dep"
    for d in $deps; do
        add_module "$d"
    done
}
: > "$root/lib/modules/$krel/turtles.dep"
for m in $wanted; do
    add_module "$m"
done
log "$(wc -l < "$work/modlist") modules"

# --- busybox --------------------------------------------------------------------------

cp "$work/busybox/bin/busybox" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
# The applet list comes from the binary itself where the build machine can run it (amd64);
# elsewhere /init creates the links at boot with `busybox --install -s`.
if applets=$("$root/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then
    for a in $applets; do
        [ "$a" = bin/busybox ] && continue
        mkdir -p "$root/$(dirname "$a")"
        [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
    done
else
    ln -sf busybox "$root/bin/sh"
fi

# --- in-guest programs and /init ------------------------------------------------------

for src in "$repo"/tests/guests/kvm-*.c; do
    name=$(basename "$src" .c)
    log "compiling $name"
    "$guest_cc" -static -O2 -Wall -Wextra -Werror -pthread -o "$root/bin/$name" "$src" ||
        die "compiling $src failed"
done
install -m 755 "$here/init.sh" "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
echo "$kpkg $kver" > "$root/etc/turtles-kernel"

# newc archive, entries sorted and owned by root so that equal inputs give equal bytes.
make_cpio() {
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n > "$2.tmp"
    mv "$2.tmp" "$2"
}

cp "$work/kernel/boot/vmlinuz-$krel" "$cache/vmlinuz.tmp"
mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
make_cpio "$root" "$cache/initramfs.cpio.gz"
{
    echo "package=$kpkg"
    echo "version=$kver"
    echo "release=$krel"
    echo "abi=$kabi"
    echo "busybox=$bbver"
} > "$cache/kernel.version"
log "built $cache/vmlinuz ($kpkg $kver) and $cache/initramfs.cpio.gz ($(du -k "$cache/initramfs.cpio.gz" | cut -f1) KiB)"

# --- optional: an L1 host image that carries QEMU -----------------------------------------

# The dependency closure of qemu-system-x86 is unpacked into a staging tree; the image gets
# only what QEMU loads with -enable-kvm -nographic -nodefaults: the binary, the shared
# libraries it needs (followed through DT_NEEDED), the dynamic loader, and three firmware files.
# /init runs it as /opt/qemu/lib/ld-linux-x86-64.so.2 --library-path /opt/qemu/lib ...
build_l1host_image() {
    local stage="$work/qemu-stage" l1="$work/root-l1host" q pkgs pkg ver n lib f
    need_tool readelf binutils
    mkdir -p "$stage"
    pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances qemu-system-x86 | grep -v '^[ <]' | LC_ALL=C sort -u)
    # One apt-cache and one apt-get call for the whole closure: per-package calls take minutes.
    apt-cache policy $pkgs | awk '
        /^[^ ]/ { p = $1; sub(/:$/, "", p); sub(/:amd64$/, "", p) }
        /^  Candidate:/ { if ($2 != "(none)") print p, $2 }' > "$work/qemu-versions"
    download_debs $(awk '{ print $1 "=" $2 }' "$work/qemu-versions")
    n=0
    while read -r pkg ver; do
        dpkg-deb -x "$(deb_path "$pkg" "$ver")" "$stage"
        n=$((n + 1))
    done < "$work/qemu-versions"
    log "unpacked $n packages of the qemu-system-x86 closure"

    cp -a "$root" "$l1"
    q="$l1/opt/qemu"
    mkdir -p "$q/bin" "$q/lib" "$q/share" "$l1/guest"
    cp "$stage/usr/bin/qemu-system-x86_64" "$q/bin/"

    # Library search order of the staging tree, as the dynamic loader would search it.
    find_lib() {
        for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib; do
            [ -e "$stage/$d/$1" ] && { echo "$stage/$d/$1"; return 0; }
        done
        find "$stage/usr/lib/x86_64-linux-gnu" -name "$1" 2>/dev/null | head -n 1
    }
    : > "$work/qemu-libs"
    todo="$q/bin/qemu-system-x86_64"
    while [ -n "$todo" ]; do
        next=""
        for f in $todo; do
            for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
                grep -qx "$lib" "$work/qemu-libs" && continue
                echo "$lib" >> "$work/qemu-libs"
                src=$(find_lib "$lib")
                [ -n "$src" ] || die "QEMU needs $lib, which no package of its closure provides"
                cp -L "$src" "$q/lib/$lib"
                next="$next $q/lib/$lib"
            done
        done
        todo=$next
    done
    interp=$(readelf -l "$q/bin/qemu-system-x86_64" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
    [ -n "$interp" ] && [ -e "$stage$interp" ] || die "no dynamic loader '$interp' in the closure"
    cp -L "$stage$interp" "$q/lib/ld-linux-x86-64.so.2"
    log "QEMU needs $(wc -l < "$work/qemu-libs") shared libraries"

    # Firmware QEMU reads at run time for a -kernel boot with -nodefaults.
    for f in seabios/bios-256k.bin qemu/linuxboot_dma.bin qemu/kvmvapic.bin; do
        [ -e "$stage/usr/share/$f" ] || die "firmware /usr/share/$f missing from the closure"
        cp -L "$stage/usr/share/$f" "$q/share/"
    done

    cp "$cache/vmlinuz" "$l1/guest/vmlinuz"
    cp "$cache/initramfs.cpio.gz" "$l1/guest/initramfs.cpio.gz"
    make_cpio "$l1" "$cache/initramfs-l1host.cpio.gz"
    log "built $cache/initramfs-l1host.cpio.gz ($(du -k "$cache/initramfs-l1host.cpio.gz" | cut -f1) KiB)"
}

if [ "$with_qemu" = 1 ]; then
    build_l1host_image
fi

echo "$key" > "$cache/images.stamp"
[ "$with_qemu" = 0 ] || echo "$l1key" > "$cache/l1host.stamp"
rm -rf "$work"
