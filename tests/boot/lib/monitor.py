#!/usr/bin/env python3
"""Runs monitor commands over turtles' -monitor unix:PATH,server,nowait socket.

usage: monitor.py SOCKET CMD [CMD...]   prints each command's output; exit status 1 when
the socket cannot be reached or a command answers with an "error:" line.
The monitor ends each answer with its prompt "(turtles) "."""
import socket
import sys
import time

PROMPT = b"(turtles) "


def read_until_prompt(s, deadline):
    data = b""
    while not data.endswith(PROMPT):
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise SystemExit("monitor.py: no prompt from the monitor")
        if not chunk:
            break
        data += chunk
    return data[:-len(PROMPT)] if data.endswith(PROMPT) else data


def main():
    path, cmds = sys.argv[1], sys.argv[2:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.time() + 30
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if time.time() > deadline:
                print(f"monitor.py: cannot connect to {path}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    read_until_prompt(s, time.time() + 60)
    failed = False
    for c in cmds:
        s.sendall(c.encode() + b"\n")
        out = read_until_prompt(s, time.time() + 120).decode(errors="replace")
        sys.stdout.write(out)
        if any(line.startswith("error:") for line in out.splitlines()):
            failed = True
    s.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
