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

for tool in apt-get apt-cache dpkg-deb cpio gzip gcc xz zstd sha256sum; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' not found (apt-get install -y apt dpkg cpio gzip gcc xz-utils zstd coreutils)"
done
[ -f /usr/include/linux/kvm.h ] || die "linux/kvm.h missing (apt-get install -y linux-libc-dev)"
[ -f "$(gcc -print-file-name=libc.a)" ] || die "static libc missing (apt-get install -y libc6-dev)"

# --- package resolution ----------------------------------------------------------------

lists_updated=0
update_lists() {
    [ "$lists_updated" = 1 ] && return 0
    log "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    lists_updated=1
}

# The candidate version of a package, empty if apt does not know it.
candidate_version() {
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2; exit }'
}

if [ -z "$(candidate_version linux-image-amd64)" ] || [ -z "$(candidate_version busybox-static)" ]; then
    update_lists
fi

# linux-image-amd64 is a metapackage; the kernel itself is in linux-image-<abi>-amd64.
kpkg=$(apt-cache depends linux-image-amd64 |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 to a versioned kernel package"
kver=$(candidate_version "$kpkg")
[ -n "$kver" ] || die "no candidate version for $kpkg"
krel=${kpkg#linux-image-}                  # 6.1.0-N-amd64: the modules folder name
kabi=$(echo "$krel" | sed -n 's/^[0-9]*\.[0-9]*\.[0-9]*-\([0-9]*\)-amd64$/\1/p')
bbver=$(candidate_version busybox-static)
[ -n "$bbver" ] || die "no candidate version for busybox-static"

# Debian's filename for a package version: the epoch's ':' becomes '%3a'.
deb_file() { echo "$debs/$1_$(echo "$2" | sed 's/:/%3a/')_$3.deb"; }

# Download PKG at VERSION into $debs unless it is there already; echoes the .deb path.
fetch_deb() {
    pkg=$1 ver=$2
    for f in "$(deb_file "$pkg" "$ver" amd64)" "$(deb_file "$pkg" "$ver" all)"; do
        [ -s "$f" ] && { echo "$f"; return 0; }
    done
    log "downloading $pkg=$ver"
    if ! (cd "$debs" && apt-get download -q "$pkg=$ver" >&2); then
        update_lists
        (cd "$debs" && apt-get download -q "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
    fi
    for f in "$(deb_file "$pkg" "$ver" amd64)" "$(deb_file "$pkg" "$ver" all)"; do
        [ -s "$f" ] && { echo "$f"; return 0; }
    done
    # Some archives spell the version differently (binNMU suffixes): take what arrived.
    f=$(ls -t "$debs/${pkg}_"*.deb 2>/dev/null | head -n 1)
    [ -n "$f" ] || die "downloaded $pkg but cannot find its .deb"
    echo "$f"
}

# --- up-to-date check --------------------------------------------------------------------

src_hash=$(cat "$here/build-images.sh" "$here/init.sh" "$repo"/tests/guests/*.[ch] | sha256sum | cut -c1-16)
key="kernel=$kpkg=$kver busybox=$bbver src=$src_hash qemu=$with_qemu"
if [ "$with_qemu" = 1 ]; then
    qver=$(candidate_version qemu-system-x86)
    [ -n "$qver" ] || die "no candidate version for qemu-system-x86"
    key="$key qemu-system-x86=$qver"
fi
if [ "$force" = 0 ] && [ -f "$cache/images.stamp" ] && [ "$(cat "$cache/images.stamp")" = "$key" ] &&
   [ -s "$cache/vmlinuz" ] && [ -s "$cache/initramfs.cpio.gz" ] &&
   { [ "$with_qemu" = 0 ] || [ -s "$cache/initramfs-l1host.cpio.gz" ]; }; then
    log "up to date ($kpkg $kver) in $cache"
    exit 0
fi

# --- kernel and modules -----------------------------------------------------------------

rm -rf "$work"
mkdir -p "$work"
kdeb=$(fetch_deb "$kpkg" "$kver")
bbdeb=$(fetch_deb busybox-static "$bbver")

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
ata_piix libata sd_mod sr_mod isofs ext4"

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
    *.xz) xz -dc "$moddir/$src" > "$dst" ;;
    *.zst) zstd -qdc "$moddir/$src" > "$dst" ;;
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

for src in "$repo"/tests/guests/*.c; do
    name=$(basename "$src" .c)
    log "compiling $name"
    gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$root/bin/$name" "$src" ||
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

if [ "$with_qemu" = 1 ]; then
    . "$here/qemu-closure.sh"
    build_l1host_image
fi

echo "$key" > "$cache/images.stamp"
rm -rf "$work"
