#!/bin/bash
# Run a bare-metal test guest ROM; pass when it exits through isa-debug-exit
# with value 0 (status 1). Prints the guest's serial output.
set -u
turtles=$1
rom=$2
timeout --signal=TERM --kill-after=10 60 "$turtles" -bios "$rom" -m 64M -nographic \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
status=$?
if [ "$status" -eq 1 ]; then
    echo "guest passed"
    exit 0
fi
echo "guest failed: exit status $status"
exit 1
