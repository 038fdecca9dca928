#!/usr/bin/python3
"""The cost of `dvsync verify` (./run bench --verify-only [--rows N] [--drift K]).

Called by bench/run.sh with the Release build directory. One emulator serves ROWS books
(`dataverse-emulator --seed ROWS`); `dvsync once` mirrors them. Then, each run under /usr/bin/time
(wall, CPU, peak RSS of the dvsync process), with the requests the emulator answered:
  - `dvsync verify` of the correct mirror;
  - the same after hand-made drift made with SQLite as a person would: DRIFT rows deleted from the
    mirror, DRIFT versions altered, DRIFT foreign rows inserted (found exactly, or the run fails);
  - `dvsync verify --fix` of that drift (repaired by id), then `dvsync verify` again (no drift);
  - the same four with --values (every row read whole and compared value by value), the drift
    being DRIFT authors edited by hand with their versions kept (altered rows).
It writes the section "Verify" of docs/PERFORMANCE.md.
"""
import argparse
import datetime
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Emulator, write_config, env, fresh_db, loadavg, splice_section)

ROOT = bench.ROOT


def log(msg):
    print(f"bench verify: {msg}", file=sys.stderr, flush=True)


def answered(emu):
    """Requests the emulator answered so far, all paths and statuses."""
    return sum(item["count"] for item in emu.control("GET", "stats")["requests"])


def verify(build, work, emu, config, tag, *extra):
    """One `dvsync verify --json`: wall, CPU and peak RSS of the process, its report, the requests."""
    err = os.path.join(work, f"verify-{tag}.log")
    usage = err + ".time"
    before = answered(emu)
    t0 = time.monotonic()
    with open(err, "wb") as e:
        proc = subprocess.run(["/usr/bin/time", "-o", usage, "-f", "%U %S %M",
                               os.path.join(build, "daemon", "dvsync"), "verify", "--config", config, "--json", *extra],
                              stdout=subprocess.PIPE, stderr=e, env=bench.env())
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"dvsync verify exited {proc.returncode}; see {err}")
    with open(usage) as f:
        user, sys_, rss_kib = f.read().split()[-3:]
    # The working tables' size on disk, from the log line of the comparison.
    temp_bytes = 0
    with open(err) as f:
        for line in f:
            m = re.search(r"event=verify\.compared .* temp_bytes=(\d+)", line)
            if m:
                temp_bytes = int(m.group(1))
    table = json.loads(proc.stdout)["tables"][0]
    if table["status"] in ("failed", "not_synced"):
        raise RuntimeError(f"verify {tag}: {table}")
    r = {"tag": tag, "args": " ".join(extra), "exit": proc.returncode, "wall_s": wall,
         "cpu_s": float(user) + float(sys_), "rss_mib": int(rss_kib) / 1024.0, "requests": answered(emu) - before,
         "missing": table["missing"], "extra": table["extra"], "stale": table["stale"], "fix": table["fix"]["action"],
         "altered": table.get("altered"),
         "source_rows": table["source_rows"], "temp_mib": temp_bytes / 1048576.0}
    log(f"{tag}: {r}")
    return r


def make_drift(db, n):
    """n rows deleted, n versions altered, n foreign rows inserted: returns the sets of their ids."""
    c = sqlite3.connect(db, timeout=30)
    try:
        ids = [row[0] for row in c.execute("SELECT sample_bookid FROM sample_book ORDER BY sample_bookid")]
        step = len(ids) // (2 * n)
        deleted = ids[0:2 * n * step:2 * step][:n]
        stale = ids[step:2 * n * step:2 * step][:n]
        foreign = [str(uuid.UUID(int=(0xf0 << 120) + i)) for i in range(n)]
        with c:
            c.executemany("DELETE FROM sample_book WHERE sample_bookid = ?", [(i,) for i in deleted])
            c.executemany("UPDATE sample_book SET dvsync_version = dvsync_version + 1000000000 WHERE sample_bookid = ?",
                          [(i,) for i in stale])
            c.executemany("INSERT INTO sample_book (sample_bookcode, sample_bookid, sample_name, dvsync_version) "
                          "VALUES (?, ?, 'foreign', 1)", [(f"foreign-{i}", f) for i, f in enumerate(foreign)])
    finally:
        c.close()
    return deleted, stale, foreign


def edit_values(db, n):
    """n authors edited by hand, their versions kept: the ids."""
    c = sqlite3.connect(db, timeout=30)
    try:
        ids = [row[0] for row in c.execute("SELECT sample_bookid FROM sample_book ORDER BY sample_bookid")]
        edited = ids[::max(1, len(ids) // n)][:n]
        with c:
            c.executemany("UPDATE sample_book SET sample_author = 'edited by hand' WHERE sample_bookid = ?",
                          [(i,) for i in edited])
    finally:
        c.close()
    return edited


def section(r, command):
    n = r["rows"]
    L = ["## Verify\n",
         f"Produced by `{command}` on {r['date']}; load average (1, 5, 15 min) {r['load_start']} at start, "
         f"{r['load_end']} at end; one run each.\n",
         f"`dvsync verify` of the book table mirrored from `dataverse-emulator --seed {n}` ({n:,} rows, "
         "page size 5,000, emulator on the loopback, no added latency). Requests are those the emulator answered "
         "(token, metadata, pages, the delta link when differences need explaining, rows fetched by id); wall, CPU "
         "and peak RSS are the dvsync process's (`/usr/bin/time`). The drift was made with SQLite in the mirror: "
         f"{r['drift']} rows deleted, {r['drift']} versions altered, {r['drift']} foreign rows inserted.\n",
         f"With `--values` the drift was {r['drift']} authors edited by hand, their versions kept (altered rows, "
         "which only a comparison of values finds).\n",
         "| Run | Found (missing / extra / stale / altered) | Requests | Wall | CPU | Peak RSS | Temp files | Exit |",
         "|---|---|---:|---:|---:|---:|---:|---:|"]
    for x in r["runs"]:
        label = {"clean": "verify, correct mirror", "drift": "verify, after the drift",
                 "fix": f"verify --fix ({x['fix']})", "after": "verify after the fix",
                 "values": "verify --values, correct mirror", "values-drift": "verify --values, after the edits",
                 "values-fix": f"verify --values --fix ({x['fix']})",
                 "values-after": "verify --values after the fix"}[x["tag"]]
        altered = "-" if x["altered"] is None else x["altered"]
        L.append(f"| {label} | {x['missing']} / {x['extra']} / {x['stale']} / {altered} | {x['requests']} | "
                 f"{x['wall_s']:.1f} s | {x['cpu_s']:.1f} s | {x['rss_mib']:.1f} MiB | {x['temp_mib']:.0f} MiB | "
                 f"{x['exit']} |")
    L += ["",
          f"For comparison, the initial sync of the same {n:,} rows by `dvsync once` took {r['sync_wall_s']:.1f} s "
          f"(peak RSS {r['sync_rss_mib']:.1f} MiB). The comparison runs in SQLite TEMP tables on disk (\"Temp "
          "files\": their size, in SQLite's temporary directory, gone when verify exits), so the verify's memory is "
          "that of one page whatever the size of the table.",
          ""]
    return L


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True)
    p.add_argument("--rows", type=int, default=1000000)
    p.add_argument("--drift", type=int, default=100)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    p.add_argument("--command", default="./run bench --verify-only")
    a = p.parse_args()
    work = os.path.join(a.build, "bench-work-verify")
    os.makedirs(work, exist_ok=True)
    r = {"rows": a.rows, "drift": a.drift, "load_start": bench.loadavg(),
         "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    db = os.path.join(work, "verify.db")
    config = os.path.join(work, "verify.json")
    bench.fresh_db(db)
    emu = bench.Emulator(a.build, work, a.rows)
    try:
        bench.write_config(config, emu.base, db)
        sync = bench.measured([os.path.join(a.build, "daemon", "dvsync"), "once", "--config", config],
                              os.path.join(work, "once.log"))
        r["sync_wall_s"], r["sync_rss_mib"] = sync["wall_s"], sync["rss_mib"]
        log(f"initial sync: {sync}")
        runs = [verify(a.build, work, emu, config, "clean")]
        deleted, stale, foreign = make_drift(db, a.drift)
        runs.append(verify(a.build, work, emu, config, "drift"))
        runs.append(verify(a.build, work, emu, config, "fix", "--fix"))
        runs.append(verify(a.build, work, emu, config, "after"))
        runs.append(verify(a.build, work, emu, config, "values", "--values"))
        edited = edit_values(db, a.drift)
        runs.append(verify(a.build, work, emu, config, "values-drift", "--values"))
        runs.append(verify(a.build, work, emu, config, "values-fix", "--values", "--fix"))
        runs.append(verify(a.build, work, emu, config, "values-after", "--values"))
    finally:
        emu.stop()
    d, f, s_, e = len(deleted), len(foreign), len(stale), len(edited)
    expected = [(0, 0, 0, None), (d, f, s_, None), (d, f, s_, None), (0, 0, 0, None),
                (0, 0, 0, 0), (0, 0, 0, e), (0, 0, 0, e), (0, 0, 0, 0)]
    for x, want in zip(runs, expected):
        if (x["missing"], x["extra"], x["stale"], x["altered"]) != want:
            raise RuntimeError(f"verify {x['tag']} found {x}, expected {want}")
    for x in (runs[2], runs[6]):
        if x["fix"] != "repaired":
            raise RuntimeError(f"verify {x['tag']} did {x['fix']}, expected repaired")
    r["runs"] = runs
    r["load_end"] = bench.loadavg()
    with open(os.path.join(work, "verify.json.out"), "w") as f:
        json.dump(r, f, indent=1)
    bench.splice_section(a.out, section(r, a.command))
    bench.fresh_db(db)
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
