#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the output of scripts/bench-guest.sh (one file per kernel) into the
benchmark's table, or with --json into one JSON document with every number.

Per-call time: the median over the rounds of ns per iteration divided by
the system calls per iteration (growshrink: 2 brk calls, brkquery: 1,
getppid: 1, mprotect: 1, mmapmunmap: 2); mallocheavy is per iteration
(about N brk calls, counted by brkwatch, plus 64 malloc/free pairs and the
page faults), pagefault per page touched. getppid, mprotect, mmapmunmap and
pagefault never call brk() in their loop: they show what brkwatch costs
everyone else (another process calls brk() meanwhile).
stacks: brkwatch with "stacks PID" for the workload (the brk() callers
only); its cost per brk() call over brkwatch's is, per round, the
difference of their times per iteration over the brk() calls per iteration
(brkwatch's calls_seen), the median and range of those printed.
Ratio: the median over the rounds of (tracer / bare of the same round), so
that a slow patch of the machine, which both see, cancels out.
Spread: (max - min) / median of the per-call times over the rounds.
"""
import json
import statistics
import sys

TRACERS = ["bare", "brkwatch", "stacks", "floor", "syscall-floor", "strace", "perf", "bpftrace", "ftrace"]
BRK_WORKLOADS = ["growshrink", "brkquery", "mallocheavy"]
OTHER_WORKLOADS = ["getppid", "mprotect", "mmapmunmap", "pagefault"]
WORKLOADS = BRK_WORKLOADS + OTHER_WORKLOADS
GOALS = {
    "growshrink_ratio": 1.10,
    "other_ratio": 1.02,
    "scale_ratio": 1.05,
    "bytes_per_record": 64,
    "bytes_one_call_process": 256,
}


def kv(tokens):
    out = {}
    for t in tokens:
        if "=" in t:
            k, v = t.split("=", 1)
            try:
                out[k] = float(v) if "." in v else int(v)
            except ValueError:
                out[k] = v
    return out


def parse(path):
    d = {"info": {}, "runs": {}, "na": {}, "fail": [], "brkcalls": {},
         "status": {}, "mem": {}, "scale": {}, "profile": []}
    with open(path, errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) < 2 or p[0] != "BENCH":
                continue
            kind = p[1]
            if kind == "info" and len(p) >= 3:
                key = p[2]
                if key == "iters":
                    d["info"].setdefault("iterations", {})[p[3]] = {
                        "default": int(p[4]),
                        **{p[i]: int(p[i + 1]) for i in range(5, len(p) - 1, 2)}}
                else:
                    d["info"][key] = " ".join(p[3:])
            elif kind == "run":
                rnd, tracer, workload = int(p[2]), p[3], p[4]
                r = kv(p[5:])
                calls = r.get("calls_per_iter", 0) or 1
                d["runs"].setdefault(tracer, {}).setdefault(workload, {})[rnd] = {
                    "iters": r["iters"], "ns_per_iter": r["ns_per_iter"],
                    "ns_per_call": r["ns_per_iter"] / calls}
            elif kind == "fail":
                d["fail"].append({"round": int(p[2]), "tracer": p[3], "workload": p[4]})
            elif kind == "na":
                d["na"][p[2]] = " ".join(p[3:])
            elif kind == "brkcalls":
                d["brkcalls"][p[2]] = float(p[3])
            elif kind == "status":
                d["status"].setdefault(p[2], {})[p[3]] = int(p[4]) if p[4:] and p[4].isdigit() else None
            elif kind == "mem":
                d["mem"][p[2]] = int(p[3]) if p[3:] and p[3].lstrip("-").isdigit() else None
            elif kind == "scale":
                rnd, mode = int(p[2]), p[3]
                r = kv(p[4:])
                d["scale"].setdefault(mode, {}).setdefault("_rounds", []).append(
                    {"round": rnd, "tracked": r["tracked"], "spawned": r["spawned"],
                     "mem": r.get("mem", -1), "recs": r.get("recs", -1),
                     "iters": r["iters"], "ns_per_call": r["ns_per_iter"] / 2})
            elif kind == "profile":
                d["profile"].append(" ".join(p[2:]))
    return d


def stats(values):
    values = sorted(values)
    med = statistics.median(values)
    return {"median": med, "min": values[0], "max": values[-1],
            "spread": (values[-1] - values[0]) / med if med else None,
            "n": len(values)}


def stop_of(tracked):
    """The stop (1, 100, 10000...) that a measured tracked count belongs to."""
    for s in (1, 100, 1000, 10000):
        if tracked <= s * 1.2 + 5:
            return s
    return tracked


def analyse(d):
    res = {"info": d["info"], "na": d["na"], "failed_runs": d["fail"],
           "brk_calls_per_iter": d["brkcalls"], "brkwatch_status": d["status"],
           "table": {}, "scale": {}, "memory": {}, "goals": {}}
    runs = d["runs"]
    bare = runs.get("bare", {})
    for t in TRACERS:
        if t not in runs and t not in d["na"]:
            continue
        for w in WORKLOADS:
            cell = {}
            if t in d["na"]:
                cell = {"na": d["na"][t]}
            elif w in runs.get(t, {}):
                rr = runs[t][w]
                cell = stats([r["ns_per_call"] for r in rr.values()])
                cell["rounds"] = {str(k): v for k, v in sorted(rr.items())}
                ratios = [rr[k]["ns_per_call"] / bare[w][k]["ns_per_call"]
                          for k in rr if w in bare and k in bare[w]]
                if ratios:
                    cell["ratio"] = statistics.median(ratios)
                    cell["ratio_min"] = min(ratios)
                    cell["ratio_max"] = max(ratios)
                # The host's noise only ever adds time: the fastest rounds'
                # ratio is the other estimate worth having.
                if w in bare and bare[w]:
                    best_bare = min(r["ns_per_call"] for r in bare[w].values())
                    cell["ratio_best"] = cell["min"] / best_bare
            else:
                continue
            res["table"].setdefault(w, {})[t] = cell

    # what stacks add to each brk() call, per round
    st, bw = runs.get("stacks", {}), runs.get("brkwatch", {})
    for w in BRK_WORKLOADS:
        calls = d["brkcalls"].get(w)
        diffs = [(st[w][k]["ns_per_iter"] - bw[w][k]["ns_per_iter"]) / calls
                 for k in st.get(w, {}) if calls and k in bw.get(w, {})]
        if diffs:
            res.setdefault("stacks_cost", {})[w] = {**stats(diffs), "per_round": diffs}

    # scale
    for mode, m in d["scale"].items():
        per_stop = {}
        for r in m.get("_rounds", []):
            per_stop.setdefault(stop_of(r["tracked"]), []).append(r)
        out = {}
        for s, rs in sorted(per_stop.items()):
            out[str(s)] = {**stats([r["ns_per_call"] for r in rs]),
                           "tracked": [r["tracked"] for r in rs],
                           "per_round": [r["ns_per_call"] for r in rs]}
        stops = sorted(per_stop)
        if len(stops) >= 2:
            lo, hi = stops[0], stops[-1]
            by_round_lo = {r["round"]: r["ns_per_call"] for r in per_stop[lo]}
            ratios = [r["ns_per_call"] / by_round_lo[r["round"]]
                      for r in per_stop[hi] if r["round"] in by_round_lo]
            if ratios:
                out["ratio_%d_to_%d" % (hi, lo)] = statistics.median(ratios)
                out["ratio_%d_to_%d_min" % (hi, lo)] = min(ratios)
                out["ratio_%d_to_%d_max" % (hi, lo)] = max(ratios)
        res["scale"][mode] = out

    # memory
    mem = d["mem"]
    m = {}
    if mem.get("record_bytes") is not None:
        m["record_bytes"] = mem["record_bytes"]
        m["records_per_process"] = mem.get("records_per_process")
    for k in ("file_bytes", "pid_bytes"):
        if mem.get(k) is not None:
            m[k] = mem[k]
    if mem.get("ring_records_delta"):
        m["ring"] = {"memory_delta": mem["ring_memory_delta"],
                     "records_delta": mem["ring_records_delta"],
                     "processes_delta": mem.get("ring_processes_delta"),
                     "bytes_per_record": mem["ring_memory_delta"] / mem["ring_records_delta"]}
    # Between the last two stops of the first brkwatch scale round, each new
    # process made exactly one record (its children's brk(0)); the loops
    # before recycle their full ring: no memory.
    rs = sorted([r for r in d["scale"].get("brkwatch", {}).get("_rounds", [])
                 if r["round"] == 1 and r["mem"] >= 0], key=lambda r: r["tracked"])
    if len(rs) >= 2 and rs[-1]["tracked"] > rs[-2]["tracked"]:
        a, b = rs[-2], rs[-1]
        dp = b["tracked"] - a["tracked"]
        m["scale"] = {"processes": b["tracked"], "memory_bytes": b["mem"],
                      "from_processes": a["tracked"], "from_memory_bytes": a["mem"],
                      "bytes_per_process": (b["mem"] - a["mem"]) / dp,
                      "bytes_per_record": (b["mem"] - a["mem"]) / dp,
                      "records_per_new_process": 1,
                      "dropped_nomem": mem.get("scale_dropped_nomem"),
                      "dropped_memcap": mem.get("scale_dropped_memcap")}
    # Short processes of 1, 2 and 3 calls (smallprocs.c), 1000 each.
    small = {}
    for calls in (1, 2, 3):
        dm = mem.get("small%d_memory_delta" % calls)
        dp = mem.get("small%d_processes_delta" % calls)
        if dm is not None and dp:
            small[calls] = {"memory_delta": dm, "processes_delta": dp,
                            "bytes_per_process": dm / dp}
            for cache in ("pde", "pid"):
                ds = mem.get("small%d_%s_slab_delta" % (calls, cache))
                if ds is not None:
                    small[calls]["%s_slab_delta" % cache] = ds
                    small[calls]["%s_slab_bytes_per_process" % cache] = ds / dp
    if small:
        m["small"] = small
    res["memory"] = m

    # goals
    g = res["goals"]
    tab = res["table"]
    gs = tab.get("growshrink", {})
    if "ratio" in gs.get("brkwatch", {}):
        r = gs["brkwatch"]["ratio"]
        others = {t: c["median"] for t, c in gs.items()
                  if t not in ("bare", "brkwatch", "stacks", "floor", "syscall-floor") and "median" in c}
        cheapest = all(gs["brkwatch"]["median"] < v for v in others.values())
        g["growshrink_ratio"] = {"goal": "<= %.2fx" % GOALS["growshrink_ratio"], "value": r,
                                 "met": r <= GOALS["growshrink_ratio"]}
        if others:
            g["growshrink_cheapest"] = {"goal": "cheaper than every other tracer",
                                        "value": {t: v / gs["brkwatch"]["median"] for t, v in others.items()},
                                        "met": cheapest}
    bq = tab.get("brkquery", {})
    if "median" in bq.get("brkwatch", {}) and "median" in bq.get("ftrace", {}):
        v = bq["brkwatch"]["median"] / bq["ftrace"]["median"]
        g["brkquery_below_ftrace"] = {"goal": "< 1 (brkwatch / ftrace)", "value": v, "met": v < 1}
    for w in OTHER_WORKLOADS:
        c = tab.get(w, {}).get("brkwatch", {})
        if "ratio" in c:
            g[w + "_ratio"] = {"goal": "<= %.2fx" % GOALS["other_ratio"], "value": c["ratio"],
                               "met": c["ratio"] <= GOALS["other_ratio"]}
    sc = res["scale"].get("brkwatch", {})
    key = next((k for k in sc if k.startswith("ratio_") and not k.endswith(("_min", "_max"))), None)
    if key:
        g["scale_ratio"] = {"goal": "<= %.2fx (%s)" % (GOALS["scale_ratio"], key), "value": sc[key],
                            "met": sc[key] <= GOALS["scale_ratio"]}
    if "ring" in m:
        v = m["ring"]["bytes_per_record"]
        g["bytes_per_record_ring"] = {"goal": "<= %d" % GOALS["bytes_per_record"],
                                      "value": v, "met": v <= GOALS["bytes_per_record"]}
    if "scale" in m:
        v = m["scale"]["bytes_per_process"]
        g["bytes_one_call_process"] = {"goal": "<= %d" % GOALS["bytes_one_call_process"],
                                       "value": v, "met": v <= GOALS["bytes_one_call_process"]}
    res["profile"] = d["profile"]
    return res


def fmt_ratio(r):
    if r < 10:
        return "%.2fx" % r
    if r < 100:
        return "%.1fx" % r
    return "%.0fx" % r


def fmt_ns(ns):
    if ns < 0:
        return "-" + fmt_ns(-ns)
    if ns >= 1e8:
        return "%.0fms" % (ns / 1e6)
    if ns >= 1e6:
        return "%.2fms" % (ns / 1e6)
    if ns >= 1e4:
        return "%.1fus" % (ns / 1e3)
    if ns >= 1e3:
        return "%.2fus" % (ns / 1e3)
    return "%.0fns" % ns


def table(res):
    info = res["info"]
    lines = []
    lines.append("kernel %s, CPU \"%s\" (%s, %s CPUs), clocksource %s" % (
        info.get("kernel", "?"), info.get("cpu", "?"), info.get("accel", "?"),
        info.get("cpus", "?"), info.get("clocksource", "?")))
    lines.append("%s rounds, tracers alternating; median per call (x median ratio to bare); "
                 "mallocheavy per iteration, pagefault per page" % info.get("rounds", "?"))
    if info.get("icount_shift"):
        lines.append("QEMU -icount shift=%s: the guest's clock counts instructions (%d ns each), "
                     "so times are instruction counts and do not vary with the host"
                     % (info["icount_shift"], 1 << int(info["icount_shift"])))
    if info.get("probes"):
        lines.append("brkwatch and floor probe: %s" % info["probes"])
    elif info.get("lock_point"):
        lines.append("brkwatch and floor follow brk()'s mmap lock at %s" % info["lock_point"])
    tracers = [t for t in TRACERS if any(t in res["table"].get(w, {}) for w in WORKLOADS)]
    head = "%-12s" % "workload" + "".join("%14s" % t for t in tracers)

    def grid(title, text, workloads=BRK_WORKLOADS):
        """A workload x tracer grid; text(tracer, cell) formats a cell that exists."""
        lines.append("")
        if title:
            lines.append(title)
        lines.append(head)
        for w in workloads:
            if w not in res["table"]:
                continue
            row = "%-12s" % w
            for t in tracers:
                c = res["table"][w].get(t)
                row += "%14s" % ("-" if not c else "n/a" if "na" in c else text(t, c))
            lines.append(row)

    def timed(key, ratio):
        def text(t, c):
            if t == "bare":
                return fmt_ns(c[key])
            return "%s %s" % (fmt_ns(c[key]), fmt_ratio(c.get(ratio, float("nan"))))
        return text

    grid(None, timed("median", "ratio"))
    grid("fastest round (x ratio to bare's fastest):", timed("min", "ratio_best"))
    spread = lambda t, c: "-" if c.get("spread") is None else "%.0f%%" % (100 * c["spread"])
    grid("spread (max-min)/median over the rounds:", spread)
    if any(w in res["table"] for w in OTHER_WORKLOADS):
        lines.append("")
        lines.append("cost on processes that do not call brk() (another process calls brk() every ms):")
        grid(None, timed("median", "ratio"), OTHER_WORKLOADS)
        grid("fastest round (x ratio to bare's fastest):", timed("min", "ratio_best"), OTHER_WORKLOADS)
        grid("spread (max-min)/median over the rounds:", spread, OTHER_WORKLOADS)
        lines.append("ratio's range over the rounds, brkwatch: " + ", ".join(
            "%s %.2fx-%.2fx" % (w, c["ratio_min"], c["ratio_max"])
            for w in OTHER_WORKLOADS
            for c in [res["table"].get(w, {}).get("brkwatch", {})] if "ratio_min" in c))
    for t, why in res["na"].items():
        lines.append("n/a %s: %s" % (t, why))
    if info.get("perf_note"):
        lines.append("note: " + info["perf_note"])
    for w, c in res.get("stacks_cost", {}).items():
        lines.append("stacks on, %s: +%s per brk call over brkwatch (rounds: %s to %s)"
                     % (w, fmt_ns(c["median"]), fmt_ns(c["min"]), fmt_ns(c["max"])))
    if res["brk_calls_per_iter"].get("mallocheavy"):
        lines.append("mallocheavy: %.1f brk calls per iteration (brkwatch's calls_seen)"
                     % res["brk_calls_per_iter"]["mallocheavy"])
    it = info.get("iterations", {})
    if it:
        lines.append("iterations: " + ", ".join(
            "%s %d (strace %d, perf %d, bpftrace %d)" % (w, v["default"], v.get("strace", 0),
                                                        v.get("perf", 0), v.get("bpftrace", 0))
            for w, v in it.items()))
    if res["failed_runs"]:
        lines.append("failed runs: %s" % res["failed_runs"])

    if res["scale"]:
        lines.append("")
        lines.append("scale: grow/shrink loop, per call, with N tracked processes (exited, kept)")
        for mode, sc in res["scale"].items():
            stops = [k for k in sc if k.isdigit()]
            row = "  %-9s" % mode + "  ".join(
                "N=%s %s (%s-%s)" % (s, fmt_ns(sc[s]["median"]), fmt_ns(sc[s]["min"]), fmt_ns(sc[s]["max"]))
                for s in stops)
            ratio = [k for k in sc if k.startswith("ratio_") and not k.endswith(("_min", "_max"))]
            if ratio:
                row += "  %s %.3fx" % (ratio[0].replace("ratio_", "").replace("_to_", "/"), sc[ratio[0]])
            lines.append(row)
    m = res["memory"]
    if m:
        lines.append("")
        lines.append("memory: record_bytes %s (sizeof), records_per_process %s" % (
            m.get("record_bytes"), m.get("records_per_process")))
        if "ring" in m:
            r = m["ring"]
            lines.append("  %d processes, +%d records: +%d bytes = %.1f bytes/record" % (
                r["processes_delta"] or 0, r["records_delta"], r["memory_delta"], r["bytes_per_record"]))
        if "scale" in m:
            s = m["scale"]
            lines.append("  after %d processes: memory_bytes %d; from %d to %d processes of one record each:"
                         " %.0f bytes/process (= per record)" % (
                             s["processes"], s["memory_bytes"], s["from_processes"], s["processes"],
                             s["bytes_per_process"]))
        if m.get("file_bytes") is not None:
            lines.append("  counted in memory_bytes with each history: file_bytes %s (procfs's entry for its file),"
                         " pid_bytes %s (its process's struct pid, kept after exit)" % (
                             m["file_bytes"], m.get("pid_bytes")))
        for calls, sp in m.get("small", {}).items():
            row = "  %d short processes of %d call%s each (smallprocs): +%d bytes = %.0f bytes/process" % (
                sp["processes_delta"], calls, "s" if calls > 1 else "", sp["memory_delta"],
                sp["bytes_per_process"])
            if "pde_slab_delta" in sp:
                row += "; in /proc/slabinfo, proc_dir_entry +%.0f and pid +%.0f bytes/process" % (
                    sp["pde_slab_bytes_per_process"], sp.get("pid_slab_bytes_per_process", float("nan")))
            lines.append(row)
    if res["goals"]:
        lines.append("")
        lines.append("goals:")
        for k, gl in res["goals"].items():
            v = gl["value"]
            if isinstance(v, dict):
                vs = ", ".join("%s %.2fx brkwatch" % (t, x) for t, x in v.items())
            else:
                vs = "%.3f" % v
            lines.append("  %-26s %-4s %s (goal %s)" % (k, "MET" if gl["met"] else "NOT", vs, gl["goal"]))
    return "\n".join(lines)


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    files = [a for a in args if a != "--json"]
    results = {}
    for path in files:
        res = analyse(parse(path))
        k = res["info"].get("kernel", path)
        results[k] = res
    if as_json:
        json.dump({"kernels": results}, sys.stdout, indent=1, sort_keys=True)
        print()
    else:
        first = True
        for k, res in results.items():
            if not first:
                print()
            first = False
            print(table(res))
            if res["profile"]:
                print("\nprofile (raw):")
                for p in res["profile"]:
                    print("  " + p)


if __name__ == "__main__":
    main()
