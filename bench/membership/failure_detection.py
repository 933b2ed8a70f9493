#!/usr/bin/env python3
"""Failure detection on real processes, side by side: 5 ckron gossip nodes vs
5 real `serf` agents (lan profile) on 127.0.0.1. SIGKILL one member, poll
every survivor every 20 ms until all mark it failed, restart it, repeat.
Prints JSON lines with both medians and the ratio. Every process started
here is killed by PID at the end, also on error."""
import json, os, signal, statistics, subprocess, sys, tempfile, time

NODE_BIN = sys.argv[1]
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
BASE = 23000 + (os.getpid() % 100) * 30
TMP = tempfile.mkdtemp(prefix="ckron-fd-")
procs = {}

def start_serf(i, join):
    args = ["serf", "agent", "-node=s%d" % i, "-bind=127.0.0.1:%d" % (BASE + i),
            "-rpc-addr=127.0.0.1:%d" % (BASE + 10 + i), "-profile=lan"]
    if join: args.append("-join=127.0.0.1:%d" % BASE)
    procs[("s", i)] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def start_ck(i, join):
    args = [NODE_BIN, "--name", "c%d" % i, "--bind", "127.0.0.1:%d" % (BASE + 20 + i),
            "--status-file", "%s/c%d.json" % (TMP, i), "--profile", "lan"]
    if join: args += ["--join", "127.0.0.1:%d" % (BASE + 20)]
    procs[("c", i)] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def serf_status(viewer, node):
    try:
        out = subprocess.run(["serf", "members", "-format=json", "-name=^%s$" % node,
                              "-rpc-addr=127.0.0.1:%d" % (BASE + 10 + viewer)],
                             capture_output=True, timeout=2).stdout
        for m in json.loads(out)["members"]:
            if m["name"] == node: return m["status"]
    except Exception: pass
    return ""

def ck_status(viewer, node):
    try:
        for m in json.load(open("%s/c%d.json" % (TMP, viewer)))["members"]:
            if m["name"] == node: return m["status"]
    except Exception: pass
    return ""

def wait(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred(): return True
        time.sleep(0.02)
    return False

def run(kind, start, status, prefix):
    for i in range(5): start(i, i > 0); time.sleep(0.2)
    assert wait(lambda: all(status(v, "%s%d" % (prefix, n)) == "alive" for v in range(5) for n in range(5)), 30), kind
    times = []
    for k in range(KILLS):
        victim = 1 + k % 4
        survivors = [v for v in range(5) if v != victim]
        procs[(prefix, victim)].send_signal(signal.SIGKILL); procs[(prefix, victim)].wait()
        t0 = time.time()
        if wait(lambda: all(status(v, "%s%d" % (prefix, victim)) == "failed" for v in survivors), 60):
            times.append(time.time() - t0)
        start(victim, True)
        wait(lambda: all(status(v, "%s%d" % (prefix, victim)) == "alive" for v in range(5)), 30)
        time.sleep(1.0)
    for i in range(5):
        procs[(prefix, i)].send_signal(signal.SIGKILL); procs[(prefix, i)].wait()
    return times

try:
    serf_t = run("serf", start_serf, serf_status, "s")
    ck_t = run("ckron", start_ck, ck_status, "c")
    ms, mc = statistics.median(serf_t), statistics.median(ck_t)
    print(json.dumps({"bench": "membership_failure_detection", "metric": "median_time_all_survivors_mark_failed_5_nodes",
                      "value": round(mc, 3), "unit": "s", "peer": "serf", "peer_value": round(ms, 3),
                      "kills": len(ck_t), "peer_kills": len(serf_t)}))
    print(json.dumps({"bench": "membership_failure_detection", "metric": "ckron_over_serf_ratio",
                      "value": round(mc / ms, 3), "unit": "ratio"}))
finally:
    for p in procs.values():
        if p.poll() is None: p.kill(); p.wait()
