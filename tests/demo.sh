#!/bin/bash
# `make demo`: the best demonstration that works at this point of the
# project. Today: bare-metal guests that show the CPU switching modes on the
# serial console. It becomes the nested demo (L1 Linux with KVM running an
# L2 guest) as the platform and VMX issues land.
set -u
turtles=${1:-build/turtles}
dir=$(dirname "$turtles")/guests
echo "== turtles demo: bare-metal guests on the emulated CPU =="
rc=0
for rom in "$dir"/*.rom; do
    name=$(basename "$rom" .rom)
    echo "-- $name"
    timeout 60 "$turtles" -bios "$rom" -m 64M -nographic -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
    status=$?
    if [ $status -eq 1 ]; then echo "-- $name: passed"; else echo "-- $name: FAILED (status $status)"; rc=1; fi
done
exit $rc
