#!/usr/bin/python3
"""Many tables at once: the benchmark of concurrent sync (./run bench --tables-only).

Called by bench/run.sh with the Release build directory. One emulator serves TABLES book-shaped
tables (a schema written into the work directory) of ROWS rows each, and answers every page of
them LATENCY ms late (the fault script's delay_ms), like a remote service. Then, in one run:
  - dvsync once with sync.max_parallel_requests = P (the service hints 8), REPEAT times, against
    the limit: total pages x latency / P (the time the requests alone take at that parallelism);
  - the same with P = 1 (tables one request at a time), REPEAT times;
  - the idle poll of `dvsync run` (interval 1 s) over all the tables, CPU per table and cycle,
    beside the same poll of one table, and of one table by dvsync as it was before tables synced
    concurrently (BASELINE, a commit built here in Release: "today" in the issue's words), the two
    one-table polls alternated REPEAT times;
  - the delay of a small table's changes while a BIG-row table loads: rows created in the small table
    (interval 1 s) every 0.7 s, each timed from its creation until a read-only reader sees it.
It writes the section "Many tables at once" of docs/PERFORMANCE.md.
"""
import argparse
import datetime
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Emulator, write_config, env, measured, task_cpu_ns, splice_section)

ROOT = bench.ROOT
TARGETS = {"limit_fraction": 0.85, "speedup": 3.5}


def log(msg):
    print(f"bench tables: {msg}", file=sys.stderr, flush=True)


def write_schema(path, names):
    tables = []
    for name in names:
        tables.append({
            "entity_set": name + "s", "logical_name": name, "primary_id": name + "id", "primary_name": "sample_name",
            "change_tracking": True,
            "columns": [{"name": "sample_name", "type": "string", "max_length": 100, "required": True},
                        {"name": "sample_bookcode", "type": "string", "max_length": 100},
                        {"name": "sample_author", "type": "string", "max_length": 100}],
            "alternate_keys": [{"name": "sample_bookcode", "attributes": ["sample_bookcode"]}]})
    with open(path, "w") as f:
        json.dump({"tables": tables}, f, indent=1)


class Emulator(bench.Emulator):
    """The bench's emulator with extra flags (the schema, the dop hint) and no --seed."""

    def __init__(self, build, work, schema, extra=()):
        port_file = os.path.join(work, "emulator.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        args = [os.path.join(build, "emulator", "dataverse-emulator"), "--listen", "127.0.0.1:0", "--port-file",
                port_file, "--client-id", bench.CLIENT_ID, "--client-secret", bench.SECRET, "--schema", schema,
                "--service-limits", "off", *extra]  # as in bench.Emulator: the figures are dvsync's
        self.work = work
        self.log = open(os.path.join(work, "emulator.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 120
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start; see " + self.log.name)
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{open(port_file).read().strip()}"


def baseline_dvsync(rev, work):
    """dvsync built at `rev` in Release (its own worktree under `work`, reused): the binary of before."""
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    src = os.path.join(work, f"baseline-{sha}")
    binary = os.path.join(src, "build", "daemon", "dvsync")
    if not os.path.exists(binary):
        if not os.path.exists(src):
            subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", src, sha], check=True)
        subprocess.run(["cmake", "-S", src, "-B", os.path.join(src, "build"), "-DCMAKE_BUILD_TYPE=Release",
                        "-DDVSYNC_CRASH_POINTS=OFF"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", os.path.join(src, "build"), "--target", "dvsync", "-j2"], check=True,
                       stdout=subprocess.DEVNULL)
    return sha, binary


def write_config(path, base, db, names, parallel, interval_s=60, intervals=None):
    """parallel None: no sync.max_parallel_requests (a dvsync from before it refuses the key)."""
    tables = []
    for n in names:
        entry = {"logical_name": n}
        if intervals and n in intervals:
            entry["interval_s"] = intervals[n]
        tables.append(entry)
    cfg = {"dataverse": {"url": base, "api_version": "9.2"},
           "auth": {"authority": base, "tenant_id": bench.TENANT, "client_id": bench.CLIENT_ID},
           "database": {"path": db},
           "sync": {"interval_s": interval_s, "page_size": 5000},
           "log": {"level": "info"},
           "tables": tables}
    if parallel is not None:
        cfg["sync"]["max_parallel_requests"] = parallel
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def fresh(db):
    for suffix in ("", "-wal", "-shm", "-lock"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)


def slow_pages(emu, names, latency_ms):
    emu.control("POST", "faults", [{"match": {"method": "GET", "path": f"/{n}s?"}, "count": -1, "delay_ms": latency_ms}
                                   for n in names])


def once(build, work, config, tag):
    """One `dvsync once`: wall seconds and the pages it fetched."""
    err = os.path.join(work, f"dvsync-{tag}.log")
    m = bench.measured([os.path.join(build, "daemon", "dvsync"), "once", "--config", config], err)
    pages = 0
    with open(err) as f:
        for line in f:
            if "event=cycle.done" in line:
                pages += int(re.search(r" pages=(\d+)", line).group(1))
    return {"wall_s": m["wall_s"], "cpu_s": m["cpu_s"], "rss_mib": m["rss_mib"], "pages": pages}


def loads(build, work, emu, names, rows, latency_ms, parallel, repeat):
    db = os.path.join(work, "tables.db")
    config = os.path.join(work, f"tables-p{parallel}.json")
    write_config(config, emu.base, db, names, parallel)
    runs = []
    for i in range(repeat):
        fresh(db)
        m = once(build, work, config, f"p{parallel}-{i}")
        with sqlite3.connect(db) as c:
            for n in names:
                got = c.execute(f"SELECT count(*) FROM {n}").fetchone()[0]
                if got != rows:
                    raise RuntimeError(f"{n}: {got} rows mirrored, expected {rows}")
        m["limit_s"] = m["pages"] * latency_ms / 1000.0 / parallel
        runs.append(m)
        log(f"parallelism {parallel}: {m['wall_s']:.2f} s for {m['pages']} pages (limit {m['limit_s']:.2f} s)")
    fresh(db)
    return {"parallel": parallel, "runs": runs, "wall_s": statistics.median(r["wall_s"] for r in runs),
            "pages": runs[0]["pages"], "limit_s": runs[0]["limit_s"],
            "rss_mib": statistics.median(r["rss_mib"] for r in runs), "all_wall_s": [r["wall_s"] for r in runs]}


def idle_cpu(build, work, base, names, cycles=15, warmup=3, binary=None):
    """CPU of `dvsync run` (interval 1 s) per table and cycle while nothing changes; `binary`: another dvsync."""
    db = os.path.join(work, f"idle-{len(names)}.db")
    fresh(db)
    config = os.path.join(work, f"idle-{len(names)}.json")
    write_config(config, base, db, names, None if binary else 4, interval_s=1)
    proc = subprocess.Popen([binary or os.path.join(build, "daemon", "dvsync"), "run", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=bench.env(), text=True)
    done = 0
    marks = []
    try:
        for line in proc.stderr:
            if "event=cycle.done" not in line:
                continue
            done += 1
            # A round: every table has finished one more cycle.
            if done % len(names) == 0:
                marks.append((time.monotonic(), bench.task_cpu_ns(proc.pid)))
                if len(marks) == warmup + cycles + 1:
                    break
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        fresh(db)
    steady = marks[warmup:]
    per = [(b[1] - a[1]) / 1e6 / len(names) for a, b in zip(steady, steady[1:])]
    return {"tables": len(names), "cpu_ms_per_table_cycle": statistics.median(per), "rounds": len(per)}


def big_loaded(db, big):
    """Whether the big table's initial load has committed (its delta link is stored)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            row = c.execute("SELECT delta_link IS NOT NULL FROM dvsync_table_state WHERE table_name = ?",
                            (big,)).fetchone()
    except sqlite3.OperationalError:
        return False
    return bool(row and row[0])


def delta_delay(build, work, emu, big, small, latency_ms):
    """Rows created in `small` while `big` loads: seconds from each creation to its sight in the mirror."""
    db = os.path.join(work, "delay.db")
    fresh(db)
    config = os.path.join(work, "delay.json")
    write_config(config, emu.base, db, [big, small], 4, interval_s=60, intervals={small: 1})
    slow_pages(emu, [big], latency_ms)
    token = requests.post(f"{emu.base}/{bench.TENANT}/oauth2/v2.0/token",
                          data={"grant_type": "client_credentials", "client_id": bench.CLIENT_ID,
                                "client_secret": bench.SECRET, "scope": f"{emu.base}/.default"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    err = open(os.path.join(work, "dvsync-delay.log"), "w")
    proc = subprocess.Popen([os.path.join(build, "daemon", "dvsync"), "run", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=err, env=bench.env())
    delays = []
    try:
        # The small table's first cycle, then changes until the big table's load is done.
        while not os.path.exists(db):
            time.sleep(0.05)
        big_done = False
        i = 0
        started = time.monotonic()
        # A probe counts when it was created while the big table was still loading, whenever it is
        # seen: the one that waits for the big table's final merge and commit (the one writer's
        # longest step) is counted too.
        while not big_done and time.monotonic() - started < 900:
            if big_loaded(db, big):
                break
            code = f"probe-{i}"
            r = requests.post(f"{emu.base}/api/data/v9.2/{small}s", headers=headers,
                              json={"sample_name": code, "sample_bookcode": code, "sample_author": "bench"})
            r.raise_for_status()
            created = time.monotonic()
            while True:
                try:
                    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
                        seen = c.execute(f"SELECT 1 FROM {small} WHERE sample_bookcode = ?", (code,)).fetchone()
                except sqlite3.OperationalError:
                    seen = None
                if seen:
                    break
                time.sleep(0.01)
            delays.append(time.monotonic() - created)
            big_done = big_loaded(db, big)
            i += 1
            time.sleep(0.7)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        err.close()
        emu.control("DELETE", "faults")
        fresh(db)
    delays.sort()
    p95 = delays[min(len(delays) - 1, int(0.95 * len(delays)))] if delays else float("nan")
    return {"changes": len(delays), "p50_s": statistics.median(delays) if delays else float("nan"), "p95_s": p95,
            "max_s": max(delays) if delays else float("nan")}


def verdict(ok):
    return "**met**" if ok else "**not met**"


def idle_row(r):
    many, one = r["idle_many"]["cpu_ms_per_table_cycle"], r["idle_one"]["cpu_ms_per_table_cycle"]
    before = r.get("idle_before")
    if not before:
        return (f"| idle-poll CPU per table no higher than one table's | {many:.2f} ms per table and cycle with "
                f"{r['tables']} tables, {one:.2f} ms with one | {verdict(many <= one * 1.1)} |")
    b = before["cpu_ms_per_table_cycle"]
    # The measure: the CPU each table costs when many are polled, against a table's cost
    # before tables ran concurrently. One table alone, now and before, is shown beside it.
    return (f"| idle-poll CPU per table no higher than today (dvsync at {before['rev']}, which polled one table at "
            f"{b:.2f} ms a cycle) | {many:.2f} ms per table and cycle with {r['tables']} tables ({many / b:.0%} of "
            f"before); one table alone {one:.2f} ms ({one / b:.0%} of before; runs now "
            f"{', '.join(f'{x:.2f}' for x in r['idle_one']['all'])}, before {', '.join(f'{x:.2f}' for x in before['all'])}) "
            f"| {verdict(many <= b)} |")


def section(r, command):
    par, seq = r["parallel"], r["sequential"]
    frac = par["limit_s"] / par["wall_s"]
    speedup = seq["wall_s"] / par["wall_s"]
    page_s = r["latency_ms"] / 1000.0
    L = ["## Many tables at once\n",
         f"Produced by `{command}` on {r['date']}; load average (1, 5, 15 min) {r['load_start']} at start, "
         f"{r['load_end']} at end; medians of {len(par['runs'])} runs each.\n",
         f"{r['tables']} book-shaped tables of {r['rows']:,} rows each (page size 5,000: {par['pages']} pages in all), "
         f"every page answered {r['latency_ms']} ms late by the emulator (its fault script's `delay_ms`), which hints "
         "`x-ms-dop-hint: 8`. The limit is the requests' own time at the parallelism allowed: total pages x latency / "
         "parallelism. `dvsync once` with `sync.max_parallel_requests` 4, then 1.\n",
         "| Target | Measured | |",
         "|---|---|---|",
         f"| >= 85% of the limit at parallelism 4 | {par['wall_s']:.2f} s against {par['limit_s']:.2f} s = {frac:.0%} | "
         f"{verdict(frac >= TARGETS['limit_fraction'])} |",
         f"| >= 3.5x the sequential run | {seq['wall_s']:.2f} s at parallelism 1 = {speedup:.2f}x | "
         f"{verdict(speedup >= TARGETS['speedup'])} |",
         idle_row(r),
         f"| a small table's changes while a {r['big_rows']:,}-row table loads: p95 within one interval plus one page "
         f"(1 s + {page_s:.1f} s) | p95 {r['delay']['p95_s']:.2f} s, median {r['delay']['p50_s']:.2f} s, slowest "
         f"{r['delay']['max_s']:.2f} s over {r['delay']['changes']} changes | "
         f"{verdict(r['delay']['p95_s'] <= 1.0 + page_s)} |",
         "",
         "| Parallelism | Pages | Limit | dvsync wall (median) | All runs | Peak RSS |",
         "|---:|---:|---:|---:|---|---:|"]
    for x in (par, seq):
        L.append(f"| {x['parallel']} | {x['pages']} | {x['limit_s']:.2f} s | {x['wall_s']:.2f} s | "
                 f"{', '.join(f'{w:.2f}' for w in x['all_wall_s'])} | {x['rss_mib']:.1f} MiB |")
    L += ["",
          "The delay of a change is timed from the answer to its POST until a read-only reader sees the row, for "
          "every change made while the large table is still loading, however late it is seen (the last one waits "
          "for the large table's final merge and commit through the one writer); it "
          "includes up to one interval of waiting for the next cycle (the 1 s interval of the small table, set by "
          "its own `interval_s`; the large table keeps the default of 60 s), and the idle CPU comes from the kernel's "
          "per-thread run time (`/proc/PID/task/*/schedstat`) between rounds in which every table finished a cycle.",
          ""]
    return L


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True)
    p.add_argument("--tables", type=int, default=8)
    p.add_argument("--rows", type=int, default=100000)
    p.add_argument("--latency-ms", type=int, default=100)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--big-rows", type=int, default=1000000)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    p.add_argument("--command", default="./run bench --tables-only")
    # The last commit before tables synced concurrently (f695b56 brought the request gate).
    p.add_argument("--baseline", default="f695b56^", help="the commit whose dvsync is 'today' for idle CPU, or none")
    a = p.parse_args()
    work = os.path.join(a.build, "bench-work-tables")
    os.makedirs(work, exist_ok=True)
    names = [f"sample_table{i}" for i in range(1, a.tables + 1)]
    schema = os.path.join(work, "tables.json")
    write_schema(schema, names + ["sample_big", "sample_small"])
    r = {"tables": a.tables, "rows": a.rows, "latency_ms": a.latency_ms, "big_rows": a.big_rows,
         "load_start": bench.loadavg(), "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    baseline_rev, baseline = baseline_dvsync(a.baseline, work) if a.baseline != "none" else (None, None)
    emu = Emulator(a.build, work, schema, ["--dop-hint", "8"])
    try:
        for n in names:
            emu.control("POST", "seed", {"entity_set": n + "s", "count": a.rows, "seed": 1})
        slow_pages(emu, names, a.latency_ms)
        r["parallel"] = loads(a.build, work, emu, names, a.rows, a.latency_ms, a.parallel, a.repeat)
        r["sequential"] = loads(a.build, work, emu, names, a.rows, a.latency_ms, 1, a.repeat)
        emu.control("DELETE", "faults")
        r["idle_many"] = idle_cpu(a.build, work, emu.base, names)
        # One table now and before, alternated so that both meet the same state of the machine.
        ones, befores = [], []
        for _ in range(a.repeat):
            ones.append(idle_cpu(a.build, work, emu.base, names[:1])["cpu_ms_per_table_cycle"])
            if baseline:
                befores.append(idle_cpu(a.build, work, emu.base, names[:1], binary=baseline)["cpu_ms_per_table_cycle"])
        r["idle_one"] = {"cpu_ms_per_table_cycle": statistics.median(ones), "all": ones}
        if baseline:
            r["idle_before"] = {"cpu_ms_per_table_cycle": statistics.median(befores), "all": befores, "rev": baseline_rev}
        log(f"idle: {r['idle_many']} / {r['idle_one']} / {r.get('idle_before')}")
        emu.control("POST", "seed", {"entity_set": "sample_bigs", "count": a.big_rows, "seed": 2})
        emu.control("POST", "seed", {"entity_set": "sample_smalls", "count": 100, "seed": 3})
        r["delay"] = delta_delay(a.build, work, emu, "sample_big", "sample_small", a.latency_ms)
        log(f"delay: {r['delay']}")
    finally:
        emu.stop()
    r["load_end"] = bench.loadavg()
    with open(os.path.join(work, "tables.json.out"), "w") as f:
        json.dump(r, f, indent=1, default=str)
    bench.splice_section(a.out, section(r, a.command))
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
