#!/bin/bash
# The layers of DESIGN.md, read from the #include lines: the arrows point
# down (frontend -> bios/devices -> vmx_emul/cpu -> mmu). Fails on every
# #include "..." in cpu/ vmx_emul/ mmu/ devices/ bios/ frontend/ that points
# up or sideways where the table forbids it, naming file, line and rule.
# Needs no images; the turtles argument of the boot tests is ignored.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)

# allowed FOLDER: the folders whose headers FOLDER may include (its own
# always). cpu/ reaches vmx_emul/ only through the hook header (checked
# below); devices/ reach only mmu/ (DMA), interrupts leave through callbacks.
allowed() {
    case $1 in
    frontend) echo "frontend bios devices vmx_emul cpu mmu" ;;
    bios) echo "bios devices mmu" ;;
    devices) echo "devices mmu" ;;
    vmx_emul) echo "vmx_emul cpu mmu" ;;
    cpu) echo "cpu mmu" ;;
    mmu) echo "mmu" ;;
    esac
}
CPU_HOOK_HEADER=vmx_emul/vmx_hooks.h
LAYERS="cpu vmx_emul mmu devices bios frontend"

bad=0
checked=0
for folder in $LAYERS; do
    [ -d "$src/$folder" ] || { echo "FAIL: $folder/ is missing"; bad=$((bad + 1)); continue; }
    ok=" $(allowed "$folder") "
    while IFS= read -r hit; do
        file=${hit%%:*}
        rest=${hit#*:}
        line=${rest%%:*}
        [[ ${rest#*:} =~ include[[:space:]]*\"([^\"]+)\" ]] || continue
        target=${BASH_REMATCH[1]}
        checked=$((checked + 1))
        # A bare name ("x.h") is a header of the including file's folder.
        [[ $target == */* ]] || continue
        to=${target%%/*}
        case " $LAYERS " in *" $to "*) ;; *) continue ;; esac # roms/, tests/: not layers
        rel=${file#"$src"/}
        if [ "$folder" = cpu ] && [ "$to" = vmx_emul ]; then
            [ "$target" = "$CPU_HOOK_HEADER" ] && continue
            echo "FAIL: $rel:$line includes $target: cpu/ may reach vmx_emul/ only through $CPU_HOOK_HEADER"
            bad=$((bad + 1))
            continue
        fi
        case $ok in *" $to "*) continue ;; esac
        echo "FAIL: $rel:$line includes $target: $folder/ may include only $(allowed "$folder") (DESIGN.md)"
        bad=$((bad + 1))
    done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src/$folder" \
                 --include='*.c' --include='*.h' --include='*.def' --include='*.inc')
done

# The hook header itself must not pull the VMX state into cpu/.
while IFS= read -r inc; do
    case $inc in
    mmu/*) ;;
    *) echo "FAIL: $CPU_HOOK_HEADER includes $inc (it may include only mmu/ headers)"
       bad=$((bad + 1)) ;;
    esac
done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$src/$CPU_HOOK_HEADER")

# Guard against a check that silently reads nothing.
if [ "$checked" -lt 200 ]; then
    echo "FAIL: only $checked #include lines found under $src: wrong source path?"
    exit 1
fi
if [ "$bad" -ne 0 ]; then
    echo "FAIL: $bad #include line(s) point up (of $checked checked)"
    exit 1
fi
echo "PASS: $checked #include lines in $LAYERS follow DESIGN.md's layers"
exit 0
