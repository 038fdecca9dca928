#!/usr/bin/env python3
"""What the change feed and the modes cost: the benchmark of ./run bench --feed-only.

Called by bench/run.sh with the Release build directory. One emulator serves a book-shaped table of
ROWS rows. For each way of keeping a table (the mirror alone; with the change feed; mode history;
mode soft_delete; the feed and history together), REPEAT times from an empty database:
  - the initial sync (`dvsync once`), every row written to the mirror and, with a feed or a mode, to
    dvsync_feed and the mode's table;
  - a delta of CHANGES changes (the emulator's mutate: 20% created, 70% updated, 10% deleted);
  - a full resync over the synced mirror (`dvsync resync`, then `dvsync once`), which compares the
    new table with the old one to feed only the difference (the mutated rows of the delta above).
The source is seeded again before each run, so that every variant syncs the same rows and changes.
It writes the section "The change feed and modes" of docs/PERFORMANCE.md.
"""
import argparse
import datetime
import json
import os
import sqlite3
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import tables  # noqa: E402  (Emulator, write_schema, fresh, once)

ROOT = bench.ROOT
TABLE = "sample_feedbook"
VARIANTS = [
    ("mirror alone", {}),
    ("change feed", {"change_feed": True}),
    ("mode history", {"mode": "history"}),
    ("mode soft_delete", {"mode": "soft_delete"}),
    ("change feed + history", {"change_feed": True, "mode": "history"}),
]


def log(msg):
    print(f"bench feed: {msg}", file=sys.stderr, flush=True)


def write_config(path, base, db, extra):
    entry = {"logical_name": TABLE, **extra}
    cfg = {"dataverse": {"url": base, "api_version": "9.2"},
           "auth": {"authority": base, "tenant_id": bench.TENANT, "client_id": bench.CLIENT_ID},
           "database": {"path": db}, "sync": {"page_size": 5000}, "log": {"level": "info"}, "tables": [entry]}
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def run_variant(build, work, emu, name, extra, rows, changes, repeat):
    db = os.path.join(work, "feed.db")
    config = os.path.join(work, "feed.json")
    write_config(config, emu.base, db, extra)
    tag = name.replace(" ", "_").replace("+", "and")
    runs = []
    for i in range(repeat):
        tables.fresh(db)
        emu.control("POST", "reset", {})  # seed adds rows: empty the table first
        emu.control("POST", "seed", {"entity_set": TABLE + "s", "count": rows, "seed": 1})
        initial = tables.once(build, work, config, f"{tag}-initial-{i}")
        mutated = emu.control("POST", "mutate", {"entity_set": TABLE + "s", "fraction": changes / rows, "seed": 7})
        delta = tables.once(build, work, config, f"{tag}-delta-{i}")
        # As many changes again, which the full resync finds by comparing the new table with the old.
        emu.control("POST", "mutate", {"entity_set": TABLE + "s", "fraction": changes / rows, "seed": 8})
        bench.measured([os.path.join(build, "daemon", "dvsync"), "resync", "--config", config],
                       os.path.join(work, f"dvsync-{tag}-resync-ask-{i}.log"))
        resync = tables.once(build, work, config, f"{tag}-resync-{i}")
        with sqlite3.connect(db) as c:
            fed = c.execute("SELECT count(*) FROM dvsync_feed").fetchone()[0]
            mirrored = c.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        size_mib = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s)) / 1048576
        runs.append({"initial": initial, "delta": delta, "resync": resync, "fed": fed, "rows": mirrored,
                     "changes": mutated["created"] + mutated["updated"] + mutated["deleted"], "size_mib": size_mib})
        log(f"{name}: initial {initial['wall_s']:.2f} s, delta {delta['wall_s']:.2f} s, "
            f"resync {resync['wall_s']:.2f} s, {fed} fed, {size_mib:.0f} MiB")
    tables.fresh(db)

    def med(part, key="wall_s"):
        return statistics.median(r[part][key] for r in runs)

    return {"name": name, "extra": extra, "runs": runs, "initial_s": med("initial"), "delta_s": med("delta"),
            "resync_s": med("resync"), "initial_cpu_s": med("initial", "cpu_s"), "delta_cpu_s": med("delta", "cpu_s"),
            "resync_cpu_s": med("resync", "cpu_s"), "rss_mib": max(r[p]["rss_mib"] for r in runs
                                                                    for p in ("initial", "delta", "resync")),
            "fed": runs[0]["fed"], "changes": runs[0]["changes"], "size_mib": statistics.median(r["size_mib"] for r in runs)}


def section(r, command):
    base = r["variants"][0]
    out = ["## The change feed and modes", "",
           f"Produced by `{command}` on {r['date']}; load average (1, 5, 15 min) {r['load_start']} at start, "
           f"{r['load_end']} at end; medians of {r['repeat']} runs each.", "",
           f"One book-shaped table of {r['rows']:,} rows (`{TABLE}`, configured by its logical name), in a new "
           f"database for each run: the initial sync, then a delta of {base['changes']:,} changes (the emulator's "
           "mutate: 20% created, 70% updated, 10% deleted), then a full resync (`dvsync resync`, `dvsync once`) "
           "after as many changes again. Wall time of `dvsync once`; CPU user + sys; the cost of each way against "
           "the mirror alone in the same run.", "",
           "| Kept | Initial sync | Delta | Full resync | Feed rows after the three | Database | Peak RSS |",
           "|---|---:|---:|---:|---:|---:|---:|"]

    def cell(v, key):
        rel = v[key] / base[key] if base[key] else 0
        extra = "" if v is base else f" ({rel:.2f}x)"
        return f"{v[key]:.2f} s{extra}"

    for v in r["variants"]:
        out.append(f"| {v['name']} | {cell(v, 'initial_s')} | {cell(v, 'delta_s')} | {cell(v, 'resync_s')} | "
                   f"{v['fed']:,} | {v['size_mib']:.0f} MiB | {v['rss_mib']:.1f} MiB |")
    out += ["", "CPU (user + sys, medians): " + "; ".join(
        f"{v['name']}: {v['initial_cpu_s']:.2f} / {v['delta_cpu_s']:.2f} / {v['resync_cpu_s']:.2f} s" for v in r["variants"])
        + " (initial / delta / resync).", ""]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True)
    p.add_argument("--rows", type=int, default=200000)
    p.add_argument("--changes", type=int, default=10000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    p.add_argument("--command", default="./run bench --feed-only")
    a = p.parse_args()
    work = os.path.join(a.build, "bench-work-feed")
    os.makedirs(work, exist_ok=True)
    schema = os.path.join(work, "feed-schema.json")
    tables.write_schema(schema, [TABLE])
    r = {"rows": a.rows, "repeat": a.repeat, "load_start": bench.loadavg(),
         "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "variants": []}
    emu = tables.Emulator(a.build, work, schema)
    try:
        for name, extra in VARIANTS:
            r["variants"].append(run_variant(a.build, work, emu, name, extra, a.rows, a.changes, a.repeat))
    finally:
        emu.stop()
    r["load_end"] = bench.loadavg()
    with open(os.path.join(work, "feed.json.out"), "w") as f:
        json.dump(r, f, indent=1, default=str)
    bench.splice_section(a.out, section(r, a.command))
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
