#!/usr/bin/env python3
"""Slow and idle clients against a running dhcpstats (loopback only).

usage: slowclients.py HOST:PORT PID [N]

Opens N connections (default 1000): half send nothing, half trickle a
request head one byte per second. Meanwhile a normal client makes 100
requests; each must be answered within 100 ms. Checks that the server's
thread and descriptor counts stay bounded. Exits non-zero on failure.
"""
import os
import socket
import sys
import threading
import time

host, port = sys.argv[1].rsplit(":", 1)
port = int(port)
pid = int(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000


def proc_counts():
    threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return threads, fds


base_threads, base_fds = proc_counts()
idle = []
for i in range(n):
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.setblocking(False)
        idle.append(s)
    except OSError as e:
        print(f"connection {i} failed: {e}")
        break
print(f"opened {len(idle)} idle/slow connections")

stop = threading.Event()


def trickle():
    head = b"GET /subnets HTTP/1.1\r\nHost: x\r\n\r\n"
    i = 0
    while not stop.is_set() and i < len(head):
        for s in idle[::2]:
            try:
                s.send(head[i:i + 1])
            except OSError:
                pass
        i += 1
        stop.wait(1.0)


t = threading.Thread(target=trickle, daemon=True)
t.start()
time.sleep(0.5)

worst = 0.0
failures = 0
for i in range(100):
    start = time.monotonic()
    try:
        c = socket.create_connection((host, port), timeout=2)
        c.sendall(b"GET /subnets?summary HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        c.close()
        ok = data.startswith(b"HTTP/1.1 200")
    except OSError as e:
        ok = False
        print(f"request {i}: {e}")
    elapsed = time.monotonic() - start
    worst = max(worst, elapsed)
    if not ok or elapsed > 0.1:
        failures += 1
        print(f"request {i}: ok={ok} in {elapsed * 1000:.1f} ms")
threads, fds = proc_counts()
stop.set()
for s in idle:
    s.close()
print(f"100 requests, worst {worst * 1000:.1f} ms, {failures} failed; "
      f"server threads {base_threads} -> {threads}, descriptors {base_fds} -> {fds}")
bounded = threads == base_threads and fds <= base_fds + n + 8
if failures or not bounded:
    sys.exit(1)
