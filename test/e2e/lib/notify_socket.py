# notify_socket.py — a fake systemd NOTIFY_SOCKET for test/e2e/systemd.test.mjs.
#
# Why it exists: Node's dgram has no AF_UNIX datagram sockets, and the sd_notify
# protocol is one. This binds the path given as argv[1], says "bound" on stdout,
# then prints every datagram received as one JSON line {"t": ms, "state": text}
# (t from the monotonic clock) until stdin closes or it is killed.
import json, os, socket, sys, time

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("bound", flush=True)
while True:
    data = s.recv(4096)
    for line in data.decode("utf-8", "replace").split("\n"):
        if line:
            print(json.dumps({"t": time.monotonic() * 1000, "state": line}), flush=True)
