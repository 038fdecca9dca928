#!/usr/bin/python3
"""dvsync's performance benchmark: the daemon against the physical limit and a Python peer.

Called by bench/run.sh (./run bench) with the Release build directory. For each N it starts the
emulator seeded with N sample_book rows and measures, REPEAT times each (medians reported):
  - the limit: the same pages parsed with Boost.JSON and the same rows inserted into the same
    table with one prepared statement (bench/limit), in one transaction and per 5000 rows;
  - dvsync's initial sync into a fresh mirror (wall, CPU, peak RSS: /usr/bin/time);
  - the Python peer (bench/peer/python_sync.py) on the same emulator;
  - a delta cycle after 1% of the rows changed, and its limit: the delta's pages applied to a copy
    of the mirror as dvsync left it, in one transaction with prepared statements (bench/limit);
then, on the largest N only: the idle poll (daemon CPU per cycle from /proc/PID/task/*/schedstat
while `dvsync run` polls every second), the initial sync again against `--gzip` (bytes on the wire
from the emulator's statistics), and the initial sync and its limits against an emulator that
serves the keys in random order (`--seed-order shuffled`).
Then, on its own (`--wide-only` runs only this), a wide table: the emulator with
bench/wide_account.json (one account-like table of 63 columns of every type) seeded with
--wide-rows rows, dvsync configured with only its logical name, REPEAT initial syncs, and the insert
limit for the same rows and table (bench/limit/wide_limit.cpp).
It writes docs/PERFORMANCE.md (bench/notes.md is included in it verbatim) and docs/performance.png.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time

import requests

import cpu_profile as delta_profile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENT_ID = "dvsync-bench-client"
SECRET = "dvsync-bench-secret"  # the emulator's test credentials, not a secret
TENANT = "bench"
MiB = 1024 * 1024

TARGETS = {
    "limit_fraction": 0.5,
    "peer_factor": 2.0,
    "rss_mib": 64.0,
    "rss_growth": 1.10,
    "delta_fraction": 0.05,
    "idle_cpu_ms": 2.0,
    "gzip_factor": 5.0,
    "wide_limit_fraction": 0.6,
}
WIDE_SCHEMA = os.path.join(ROOT, "bench", "wide_account.json")
WIDE_SET = "sample_wideaccounts"
WIDE_TABLE = "sample_wideaccount"
WIDE_ROWS = 200000


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Emulator:
    def __init__(self, build, work, rows, gzip=False, order="ascending", schema=None, entity_set=None):
        self.work = work
        port_file = os.path.join(work, "emulator.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        args = [os.path.join(build, "emulator", "dataverse-emulator"), "--listen", "127.0.0.1:0",
                "--port-file", port_file, "--client-id", CLIENT_ID, "--client-secret", SECRET,
                "--seed", f"{entity_set}:{rows}" if entity_set else str(rows), "--seed-order", order,
                # The figures are dvsync's against an unthrottled service: minutes of parallel reads
                # can pass the default execution-time limit (1,200 s per 300 s), and a 429 would
                # time Retry-After instead of dvsync.
                "--service-limits", "off"]
        if schema:
            args += ["--schema", schema]
        if gzip:
            args.append("--gzip")
        self.log = open(os.path.join(work, "emulator.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 600
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start; see " + self.log.name)
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{open(port_file).read().strip()}"

    def control(self, method, path, body=None):
        r = requests.request(method, f"{self.base}/_emulator/{path}", json=body, timeout=600)
        r.raise_for_status()
        return r.json()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()


BOOK_TABLES = [{"entity_set": "sample_books", "table": "sample_book", "id": "sample_bookid", "key": "sample_bookcode",
                "columns": ["sample_name", "sample_bookcode", "sample_author"]}]


def write_config(path, base, db, interval_s=60, level="info", tables=None):
    cfg = {
        "dataverse": {"url": base, "api_version": "9.2"},
        "auth": {"authority": base, "tenant_id": TENANT, "client_id": CLIENT_ID},
        "database": {"path": db},
        "sync": {"interval_s": interval_s, "page_size": 5000},
        "log": {"level": level},
        "tables": tables or BOOK_TABLES,
    }
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def env():
    e = dict(os.environ)
    e["DVSYNC_CLIENT_SECRET"] = SECRET
    return e


def measured(args, stderr_path):
    """Runs a child to its end under /usr/bin/time (whose own fork is tiny: the peak RSS that the
    kernel reports for a child includes its life before exec, which for a fork of this script would be
    Python's); returns wall seconds, user+sys CPU seconds and peak RSS (MiB)."""
    usage = stderr_path + ".time"
    with open(stderr_path, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.run(["/usr/bin/time", "-o", usage, "-f", "%U %S %M"] + args, stdout=subprocess.DEVNULL,
                              stderr=err, env=env())
        wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}; see {stderr_path}")
    with open(usage) as f:
        user, sys_, rss_kib = f.read().split()[-3:]
    return {"wall_s": wall, "cpu_s": float(user) + float(sys_), "user_s": float(user), "sys_s": float(sys_),
            "rss_mib": int(rss_kib) / 1024.0}


def query_one(db, sql):
    """The first value of `sql`, through a read-only connection."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return c.execute(sql).fetchone()[0]
    finally:
        c.close()


def page_bytes(db):
    return query_one(db, "PRAGMA page_size")


def fresh_db(path):
    for suffix in ("", "-wal", "-shm", "-lock"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def count_rows(db, table="sample_book"):
    return query_one(db, f"SELECT count(*) FROM {table}")


def rows_differ(db, other, table="sample_book"):
    """How many rows of TABLE one database holds that the other does not, both ways."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        c.execute("ATTACH DATABASE ? AS other", (f"file:{other}?mode=ro",))
        return sum(c.execute(f"SELECT count(*) FROM (SELECT * FROM {a}.{table} EXCEPT "
                             f"SELECT * FROM {b}.{table})").fetchone()[0]
                   for a, b in (("main", "other"), ("other", "main")))
    finally:
        c.close()


def last_event(stderr_path, event):
    """The key=value fields of the last line with event=EVENT that the daemon logged ({} if none)."""
    fields = {}
    with open(stderr_path, errors="replace") as f:
        for line in f:
            if f"event={event}" in line.split():
                fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    return fields


def token(base):
    r = requests.post(f"{base}/{TENANT}/oauth2/v2.0/token", timeout=60,
                      data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
                            "scope": f"{base}/.default"})
    r.raise_for_status()
    return r.json()["access_token"]


def initial_read_url(base):
    return f"{base}/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode,sample_author"


def save_pages(url, authorization, out_dir):
    """Fetches a tracked read from URL (the initial read, or a delta link) page by page (no gzip), with
    AUTHORIZATION ("Bearer <token>") and saves each body; returns the wall time."""
    os.makedirs(out_dir, exist_ok=True)
    s = requests.Session()
    headers = {"Authorization": authorization, "Accept": "application/json",
               "Accept-Encoding": "identity", "Prefer": "odata.track-changes,odata.maxpagesize=5000"}
    i = 0
    t0 = time.monotonic()
    while url:
        r = s.get(url, headers=headers, timeout=120)
        r.raise_for_status()
        with open(os.path.join(out_dir, f"{i:06d}.json"), "wb") as f:
            f.write(r.content)
        i += 1
        url = json.loads(r.content).get("@odata.nextLink")
    return time.monotonic() - t0


def run_limit(build, work, pages, commit_every, order="arrival"):
    db = os.path.join(work, "limit.db")
    fresh_db(db)
    out = subprocess.run([os.path.join(build, "bench", "dvsync-bench-limit"), "--pages", pages, "--db", db,
                          "--commit-every", str(commit_every), "--order", order],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def delta_link(db):
    """The delta link dvsync stored for sample_book (read after dvsync exited)."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = c.execute("SELECT delta_link FROM dvsync_table_state WHERE table_name = 'sample_book'").fetchone()
    finally:
        c.close()
    if not row or not row[0]:
        raise RuntimeError(f"{db} holds no delta link for sample_book")
    return row[0]


def copy_db(src, dst):
    """A copy of a closed database: the file and its WAL when there is one."""
    fresh_db(dst)
    shutil.copyfile(src, dst)
    if os.path.exists(src + "-wal"):
        shutil.copyfile(src + "-wal", dst + "-wal")


def run_delta_limit(build, pages, db):
    out = subprocess.run([os.path.join(build, "bench", "dvsync-bench-delta-limit"), "--pages", pages, "--db", db],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def dvsync_once(build, work, config, tag):
    err = os.path.join(work, f"dvsync-{tag}.log")
    m = measured([os.path.join(build, "daemon", "dvsync"), "once", "--config", config], err)
    done = last_event(err, "cycle.done")
    m["cycle_ms"] = float(done.get("duration_ms", "nan"))
    m["upserts"] = int(done.get("upserts", 0))
    m["deletes"] = int(done.get("deletes", 0))
    m["pages"] = int(done.get("pages", 0))
    # Debug-level events of the store, when the daemon logs them: the merge and commit of the
    # cycle, and the checkpoint that runs after it.
    committed = last_event(err, "store.cycle_committed")
    for k in ("merge_ms", "commit_ms"):
        if k in committed:
            m[k] = float(committed[k])
    checkpoint = last_event(err, "store.checkpoint")
    if "ms" in checkpoint:
        m["checkpoint_ms"] = float(checkpoint["ms"])
        m["wal_frames"] = int(checkpoint["wal_frames"])
    return m


def profile_delta(build, work, emu, delta_config, db):
    """One more 1% delta, under perf record: which phase of the cycle, and which kind of work, its
    CPU went to. Not timed (perf slows the process down)."""
    changed = emu.control("POST", "mutate", {"entity_set": "sample_books", "fraction": 0.01, "seed": 999})
    data = os.path.join(work, "delta-profile.data")
    delta_profile.record([os.path.join(build, "daemon", "dvsync"), "once", "--config", delta_config], data,
                         os.path.join(work, "dvsync-delta-profile.log"), env())
    if count_rows(db) != changed["rows"]:
        raise RuntimeError("the mirror does not match the emulator after the profiled delta")
    return delta_profile.to_json(*delta_profile.classify(data))


def task_cpu_ns(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total


def idle_poll(build, work, base, db, cycles, warmup=3):
    """CPU per idle cycle of `dvsync run` (interval 1 s), from the kernel's per-thread run time."""
    config = os.path.join(work, "dvsync-idle.json")
    write_config(config, base, db, interval_s=1)
    proc = subprocess.Popen([os.path.join(build, "daemon", "dvsync"), "run", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env(), text=True)
    done = []
    cpu_at_done = []
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if "event=cycle.done" not in line:
                continue
            cpu_at_done.append(task_cpu_ns(proc.pid))
            done.append(dict(kv.split("=", 1) for kv in line.split() if "=" in kv))
            if len(done) == warmup + cycles:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        with open(os.path.join(work, "dvsync-idle.log"), "w") as f:
            f.writelines(lines)
    measured_cycles = done[warmup:warmup + cycles]
    if len(measured_cycles) != cycles or any(c.get("upserts") != "0" or c.get("deletes") != "0" for c in measured_cycles):
        raise RuntimeError("idle poll: expected idle delta cycles; see dvsync-idle.log")
    # Per cycle, from one cycle.done to the next: on a shared virtual machine a burst of someone
    # else's load shows up as run time of whatever ran meanwhile (stolen time is not subtracted), so
    # the median, not the mean, is the figure; mean and slowest are reported beside it.
    per_cycle = [(b - a) / 1e6 for a, b in zip(cpu_at_done[warmup - 1:], cpu_at_done[warmup:])]
    return {"cycles": cycles, "cpu_ms_per_cycle": median(per_cycle), "cpu_ms_mean": statistics.mean(per_cycle),
            "cpu_ms_max": max(per_cycle),
            "cycle_ms": median([float(c["duration_ms"]) for c in measured_cycles])}


def peer(work, base, tag):
    db = os.path.join(work, "peer.db")
    fresh_db(db)
    m = measured(["/usr/bin/python3", os.path.join(ROOT, "bench", "peer", "python_sync.py"), "--url", base,
                  "--authority", base, "--tenant", TENANT, "--client-id", CLIENT_ID, "--db", db],
                 os.path.join(work, f"peer-{tag}.log"))
    m["rows"] = count_rows(db)
    return m


def wire(emu):
    s = emu.control("GET", "stats")
    return {"requests": s["total_requests"], "bytes": s["bytes_sent"]}


def bench_size(build, work, n, repeat, full):
    log(f"N={n}: starting the emulator (seeding {n} rows)")
    r = {"rows": n}
    emu = Emulator(build, work, n)
    try:
        pages = os.path.join(work, f"pages-{n}")
        shutil.rmtree(pages, ignore_errors=True)
        r["fetch_only_s"] = save_pages(initial_read_url(emu.base), f"Bearer {token(emu.base)}", pages)
        log(f"N={n}: limit")
        r["limit"] = insert_limits(build, work, pages, repeat, sorted_too=full)
        shutil.rmtree(pages, ignore_errors=True)

        log(f"N={n}: dvsync initial sync x{repeat}")
        db = os.path.join(work, "mirror.db")
        config = os.path.join(work, "dvsync.json")
        write_config(config, emu.base, db)
        r["dvsync"] = initial_syncs(build, work, emu, config, db, n, repeat, "initial")

        log(f"N={n}: Python peer x{repeat}")
        peers = [peer(work, emu.base, f"{n}-{i}") for i in range(repeat)]
        if any(p["rows"] != n for p in peers):
            raise RuntimeError("the Python peer mirrored the wrong number of rows")
        r["peer"] = summarize(peers)

        log(f"N={n}: 1% delta and its limit x{repeat}")
        # Debug level for the store's own split of the cycle (merge, commit, checkpoint): a delta
        # logs a few lines more, and the initial syncs above keep the info level.
        delta_config = os.path.join(work, "dvsync-delta.json")
        write_config(delta_config, emu.base, db, level="debug")
        delta_pages = os.path.join(work, "delta-pages")
        limit_db = os.path.join(work, "limit-delta.db")
        deltas = []
        for i in range(repeat):
            changed = emu.control("POST", "mutate", {"entity_set": "sample_books", "fraction": 0.01, "seed": 100 + i})
            shutil.rmtree(delta_pages, ignore_errors=True)
            save_pages(delta_link(db), f"Bearer {token(emu.base)}", delta_pages)
            copy_db(db, limit_db)
            lim = run_delta_limit(build, delta_pages, limit_db)
            if count_rows(limit_db) != changed["rows"]:
                raise RuntimeError("the delta limit's copy does not match the emulator after the delta")
            m = dvsync_once(build, work, delta_config, f"delta-{n}-{i}")
            m["changed"] = changed
            if count_rows(db) != changed["rows"]:
                raise RuntimeError("the mirror does not match the emulator after a delta")
            # Once per size (a million-row comparison takes seconds): the limit did the same work.
            if i == 0 and rows_differ(db, limit_db):
                raise RuntimeError(f"the delta limit's copy {limit_db} differs from dvsync's mirror after the delta")
            for k in ("rows", "deletes", "parse_s", "apply_s", "commit_s", "checkpoint_s"):
                m[f"limit_{k}"] = lim[k]
            deltas.append(m)
        shutil.rmtree(delta_pages, ignore_errors=True)
        fresh_db(limit_db)
        r["delta"] = summarize(deltas)
        r["delta"]["changed"] = deltas[0]["changed"]
        r["delta"]["page_bytes"] = page_bytes(db)
        if full and delta_profile.available():
            log(f"N={n}: a 1% delta under perf record")
            try:
                r["delta_profile"] = profile_delta(build, work, emu, delta_config, db)
            except (RuntimeError, subprocess.CalledProcessError) as e:
                # perf may be refused (perf_event_paranoid, a container): the report goes without it.
                log(f"N={n}: no profile: {e}")
        if full:
            log(f"N={n}: idle poll")
            r["idle"] = idle_poll(build, work, emu.base, db, cycles=30)
    finally:
        emu.stop()

    if full:
        log(f"N={n}: initial sync with gzip")
        emu = Emulator(build, work, n, gzip=True)
        try:
            db = os.path.join(work, "mirror-gzip.db")
            config = os.path.join(work, "dvsync-gzip.json")
            write_config(config, emu.base, db)
            r["gzip"] = initial_syncs(build, work, emu, config, db, n, repeat, "gzip")
        finally:
            emu.stop()

        log(f"N={n}: keys in random order: limit and dvsync initial sync x{repeat}")
        emu = Emulator(build, work, n, order="shuffled")
        try:
            pages = os.path.join(work, f"pages-{n}-shuffled")
            shutil.rmtree(pages, ignore_errors=True)
            shuffled = {"fetch_only_s": save_pages(initial_read_url(emu.base), f"Bearer {token(emu.base)}", pages)}
            shuffled["limit"] = insert_limits(build, work, pages, repeat, sorted_too=True)
            shutil.rmtree(pages, ignore_errors=True)
            db = os.path.join(work, "mirror-shuffled.db")
            config = os.path.join(work, "dvsync-shuffled.json")
            write_config(config, emu.base, db)
            shuffled["dvsync"] = initial_syncs(build, work, emu, config, db, n, repeat, "shuffled")
            fresh_db(db)
            r["shuffled"] = shuffled
        finally:
            emu.stop()
    return r


def insert_limits(build, work, pages, repeat, sorted_too=False):
    """The insert limit on saved pages: one transaction and a commit per 5000 rows, in arrival order,
    and with SORTED_TOO the rows sorted by key in memory first, in one transaction (sort + insert);
    medians."""
    one_tx = [run_limit(build, work, pages, 0) for _ in range(repeat)]
    per_page = [run_limit(build, work, pages, 5000) for _ in range(repeat)]
    out = {}
    if sorted_too:
        out["insert_sorted_s"] = median([x["sort_s"] + x["insert_s"]
                                         for x in (run_limit(build, work, pages, 0, "key") for _ in range(repeat))])
    return out | {
        "insert_one_tx_s": median([x["insert_s"] for x in one_tx]),
        "insert_per_page_s": median([x["insert_s"] for x in per_page]),
        "parse_s": median([x["parse_s"] for x in one_tx + per_page]),
        "extract_s": median([x["extract_s"] for x in one_tx + per_page]),
        "page_bytes": one_tx[0]["bytes"],
        "pages": one_tx[0]["pages"],
    }


def initial_syncs(build, work, emu, config, db, n, repeat, tag):
    """`dvsync once` into a fresh mirror, REPEAT times; the summary with bytes on the wire."""
    runs = []
    for i in range(repeat):
        fresh_db(db)
        emu.control("POST", "stats/reset")
        m = dvsync_once(build, work, config, f"{tag}-{n}-{i}")
        m.update(wire(emu))
        if count_rows(db) != n:
            raise RuntimeError(f"dvsync mirrored {count_rows(db)} rows, expected {n}")
        runs.append(m)
    return summarize(runs)


def wide_limit(build, config, *args):
    out = subprocess.run([os.path.join(build, "bench", "dvsync-bench-wide-limit"), "--config", config, *args],
                         check=True, capture_output=True, text=True, env=env())
    return json.loads(out.stdout)


def bench_wide(build, work, n, repeat):
    """The wide table: the insert limit on its saved pages and dvsync's initial sync, REPEAT times each
    (medians), against one emulator seeded with N rows of bench/wide_account.json."""
    log(f"wide table: starting the emulator (seeding {n} rows of {WIDE_SET})")
    w = {"rows": n, "load_start": loadavg(), "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    emu = Emulator(build, work, n, schema=WIDE_SCHEMA, entity_set=WIDE_SET)
    try:
        db = os.path.join(work, "mirror-wide.db")
        limit_db = os.path.join(work, "limit-wide.db")
        config = os.path.join(work, "dvsync-wide.json")
        write_config(config, emu.base, db, tables=[{"logical_name": WIDE_TABLE}])
        pages = os.path.join(work, "pages-wide")
        shutil.rmtree(pages, ignore_errors=True)
        w["fetch"] = wide_limit(build, config, "--save-pages", pages)
        # Interleaved, a limit run then a dvsync run: both meet the same state of the machine (the
        # page cache, the disk's writeback, whatever else runs), which moves either by a third.
        log(f"wide table: limit and dvsync initial sync, alternately, x{repeat}")
        limits, runs = [], []
        for i in range(repeat):
            limits.append(wide_limit(build, config, "--pages", pages, "--db", limit_db))
            if limits[-1]["rows"] != n:
                raise RuntimeError(f"the wide limit inserted {limits[-1]['rows']} rows, expected {n}")
            fresh_db(db)
            m = dvsync_once(build, work, config, f"wide-{n}-{i}")
            if count_rows(db, WIDE_TABLE) != n:
                raise RuntimeError(f"dvsync mirrored {count_rows(db, WIDE_TABLE)} rows of {WIDE_TABLE}, expected {n}")
            runs.append(m)
        w["limit"] = summarize(limits)
        w["limit"]["all_insert_s"] = [round(x["insert_s"], 3) for x in limits]
        w["pair_fractions"] = [x["insert_s"] / m["wall_s"] for x, m in zip(limits, runs)]
        shutil.rmtree(pages, ignore_errors=True)
        w["dvsync"] = summarize(runs)
        # The limit did the same work: the same table (columns, types, order) and the same rows.
        if rows_differ(db, limit_db, WIDE_TABLE):
            raise RuntimeError(f"the wide limit's {limit_db} differs from dvsync's mirror {db}")
        w["mirror_columns"] = query_one(db, f"SELECT count(*) FROM pragma_table_info('{WIDE_TABLE}')")
        w["mirror_mib"] = os.path.getsize(db) / MiB
        fresh_db(limit_db)
    finally:
        emu.stop()
    w["load_end"] = loadavg()
    return w


def wide_section(w, command):
    """The wide table's section of the report."""
    n = w["rows"]
    d, li = w["dvsync"], w["limit"]
    rate, limit_rate = n / d["wall_s"], n / li["insert_s"]
    frac = rate / limit_rate
    L = ["## A wide table\n",
         f"Produced by `{command}` on {w['date']}; load average (1, 5, 15 min) {w['load_start']} at start, "
         f"{w['load_end']} at end; medians of {d['runs']} runs each.\n",
         f"`bench/wide_account.json`: one account-like table, `{WIDE_TABLE}`, of 63 columns in the proportions of "
         "a real one (19 strings of 10 to 250 characters, 2 memos, 3 integers, a bigint, 5 booleans, 3 doubles, "
         "5 money and 2 decimal columns, 4 date-times, 2 date-only columns, 7 picklists, state and status, a "
         "multi-select, 4 lookups, a customer and an owner, a uniqueidentifier), no alternate key. The emulator "
         f"is seeded with `--seed {WIDE_SET}:{n:,}`; dvsync is configured with `{{\"logical_name\": \"{WIDE_TABLE}\"}}` "
         f"alone and resolves the rest from the metadata: {w['mirror_columns']} mirror columns (money and decimals "
         "add their exact digits, the customer and owner their target table), keyed by the GUID. "
         f"Initial read: {li['bytes'] / MiB:,.0f} MiB of JSON, which the limit fetched in {li['pages']:.0f} pages of "
         f"5,000 rows and dvsync in {d['pages']:.0f} (a page of a wide table asks for fewer rows, about 100,000 values "
         f"a page); the mirror file {w['mirror_mib']:,.0f} MiB.\n",
         "The limit (`build-release/bench/dvsync-bench-wide-limit`): the configuration resolved as the daemon "
         "resolves it, the initial read saved with the daemon's Dataverse client (same URL and headers), parsed "
         "with the daemon's typed parser before the clock starts, then the same rows inserted into the same table "
         "(the daemon's `CREATE TABLE`, PRAGMAs and page size; its column order and bindings) with one prepared "
         "`INSERT`, in one transaction. After the runs the limit's table and dvsync's mirror hold the same rows "
         "(`EXCEPT` both ways is empty).\n",
         "| Target | Measured | |",
         "|---|---|---|",
         f"| initial sync >= 60% of the SQLite insert limit (one transaction) | {rate:,.0f} rows/s = {frac:.0%} of "
         f"{limit_rate:,.0f} rows/s | {verdict(frac >= TARGETS['wide_limit_fraction'])} |",
         f"| peak RSS <= 64 MiB | {d['rss_mib']:.1f} MiB | {verdict(d['rss_mib'] <= TARGETS['rss_mib'])} |",
         "",
         "| Rows | dvsync wall | dvsync cycle | dvsync CPU (user + sys) | dvsync rows/s | limit: insert | limit rows/s | "
         "limit: parse (not in the limit) | fetch and save to files |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
         f"| {n:,} | {d['wall_s']:.2f} s | {d['cycle_ms'] / 1000:.2f} s | {d['cpu_s']:.2f} s ({d['user_s']:.2f} + "
         f"{d['sys_s']:.2f}) | {rate:,.0f} | {li['insert_s']:.2f} s | {limit_rate:,.0f} | {li['parse_s']:.2f} s | "
         f"{w['fetch']['fetch_s']:.2f} s |",
         "",
         f"All runs, dvsync wall: {', '.join(f'{x:.2f} s' for x in d['all_wall_s'])}; limit insert: "
         f"{', '.join(f'{x:.2f} s' for x in li['all_insert_s'])}. The runs alternate, a limit run then a dvsync "
         "run, so that both meet the same state of the machine; dvsync's rate as a fraction of the limit's within "
         f"each pair: {', '.join(f'{x:.0%}' for x in w['pair_fractions'])}.\n"]
    return L


def splice_section(path, section):
    """Replaces the report's section that starts with the first line of SECTION (up to the next
    second-level heading), or puts it before "## Commands"; and brings bench/notes.md up to date."""
    with open(path) as f:
        lines = f.read().split("\n")
    head = section[0].rstrip("\n")
    if head in lines:
        start = lines.index(head)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    else:
        start = end = lines.index("## Commands")
    lines = lines[:start] + "\n".join(section).split("\n") + lines[end:]
    # bench/notes.md closes the report: its current text replaces the copy there.
    notes = os.path.join(ROOT, "bench", "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            text = f.read().rstrip() + "\n"
        first = text.split("\n", 1)[0]
        if first in lines:
            lines = lines[:lines.index(first)] + text.split("\n")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def micro(build):
    """The Google Benchmark micro-benchmarks, when they were built: name, time per iteration, rate."""
    exe = os.path.join(build, "bench", "micro", "dvsync-bench-micro")
    if not os.path.exists(exe):
        return []
    out = subprocess.run([exe, "--benchmark_format=json"], check=True, capture_output=True, text=True)
    rows = []
    for b in json.loads(out.stdout)["benchmarks"]:
        rows.append({"name": b["name"], "real": b["real_time"], "cpu": b["cpu_time"], "unit": b["time_unit"],
                     "items_per_second": b.get("items_per_second")})
    return rows


def summarize(runs):
    """Medians of the numeric figures; a figure that only some runs have is the median of those."""
    out = {"runs": len(runs)}
    keys = []
    for x in runs:
        keys += [k for k in x if k not in keys and isinstance(x[k], (int, float))]
    for k in keys:
        out[k] = median([x[k] for x in runs if k in x])
    if all("wall_s" in x for x in runs):
        out["all_wall_s"] = [round(x["wall_s"], 3) for x in runs]
    return out


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    fs = subprocess.run(["df", "-T", ROOT], capture_output=True, text=True).stdout.splitlines()[-1].split()[1]
    gcc = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return {"host": socket.gethostname(), "kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_mib": mem, "filesystem": fs, "sqlite": sqlite3.sqlite_version, "compiler": gcc,
            "python": platform.python_version()}


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [r["rows"] for r in results]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(ns, [r["dvsync"]["wall_s"] for r in results], "o-", label="dvsync initial sync")
    ax1.plot(ns, [r["peer"]["wall_s"] for r in results], "s-", label="Python peer")
    ax1.plot(ns, [r["limit"]["insert_one_tx_s"] for r in results], "^--", label="SQLite insert limit (1 tx)")
    ax1.plot(ns, [r["limit"]["parse_s"] for r in results], "v--", label="Boost.JSON parse")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("rows")
    ax1.set_ylabel("seconds (median)")
    ax1.set_title("Initial sync time")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=8)
    ax2.plot(ns, [r["dvsync"]["rss_mib"] for r in results], "o-", label="dvsync")
    ax2.plot(ns, [r["peer"]["rss_mib"] for r in results], "s-", label="Python peer")
    ax2.axhline(TARGETS["rss_mib"], color="red", linestyle=":", label="target 64 MiB")
    ax2.set_xscale("log")
    ax2.set_xlabel("rows")
    ax2.set_ylabel("peak RSS (MiB)")
    ax2.set_title("Peak memory")
    ax2.set_ylim(bottom=0)
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def delta_limit_ms(delta):
    """The delta limit (apply + commit) in ms, or None for figures from before it was measured."""
    if "limit_apply_s" not in delta:
        return None
    return (delta["limit_apply_s"] + delta["limit_commit_s"]) * 1000


def verdict(ok):
    return "met" if ok else "**not met**"


def report(results, meta, path, png_name):
    big = results[-1]
    n = big["rows"]
    d = big["dvsync"]
    lim = big["limit"]
    rate = n / d["wall_s"]
    limit_rate = n / lim["insert_one_tx_s"]
    limit_pp_rate = n / lim["insert_per_page_s"]
    peer_rate = n / big["peer"]["wall_s"]
    by_n = {r["rows"]: r for r in results}
    L = []
    L.append("# Performance\n")
    L.append(f"Produced by `{meta['command']}` on {meta['date']} (dvsync {meta['commit']}). "
             "Every figure is the median of the repeated runs; rates are rows per wall-clock second.\n")
    L.append("## Machine\n")
    m = meta["machine"]
    L.append(f"- {m['cpu']}, {m['cores']} cores, {m['memory_mib']} MiB RAM, kernel {m['kernel']}, "
             f"project directory on {m['filesystem']}")
    L.append(f"- SQLite {m['sqlite']}, {m['compiler']}, Python {m['python']}; dvsync and the limit built "
             "in Release (`build-release`)")
    L.append(f"- Load average (1, 5, 15 min) at start: {meta['load_start']}; at end: {meta['load_end']}. "
             "The machine is shared; the emulator runs on it too.\n")

    L.append(f"## Targets at {n:,} rows\n")
    L.append("| Target | Measured | |")
    L.append("|---|---|---|")
    frac = rate / limit_rate
    L.append(f"| initial sync >= 50% of the SQLite insert limit (one transaction) | {rate:,.0f} rows/s = "
             f"{frac:.0%} of {limit_rate:,.0f} rows/s | {verdict(frac >= TARGETS['limit_fraction'])} |")
    if "shuffled" in big:
        sh_rate = n / big["shuffled"]["dvsync"]["wall_s"]
        L.append(f"| initial sync, keys in random order (informational: no target of its own) | {sh_rate:,.0f} rows/s = "
                 f"{sh_rate / limit_rate:.0%} of the in-order limit above | informational |")
    factor = rate / peer_rate
    L.append(f"| initial sync >= 2x the Python peer | {factor:.1f}x ({peer_rate:,.0f} rows/s) | "
             f"{verdict(factor >= TARGETS['peer_factor'])} |")
    L.append(f"| peak RSS <= 64 MiB | {d['rss_mib']:.1f} MiB | {verdict(d['rss_mib'] <= TARGETS['rss_mib'])} |")
    if 100000 in by_n and n != 100000:
        base_rss = by_n[100000]["dvsync"]["rss_mib"]
        growth = d["rss_mib"] / base_rss
        L.append(f"| peak RSS at most 10% above the 100,000-row figure | {growth - 1:+.1%} ({base_rss:.1f} MiB at "
                 f"100,000) | {verdict(growth <= TARGETS['rss_growth'])} |")
    if "delta" in big:
        dl = big["delta"]
        df = dl["cycle_ms"] / d["cycle_ms"]
        limit_ms = delta_limit_ms(dl)
        limit_note = (f"; the limit for the same changes, in SQLite alone: {limit_ms:.0f} ms = "
                      f"{limit_ms / d['cycle_ms']:.1%}" if limit_ms else "")
        L.append(f"| 1% delta cycle <= 5% of the initial sync's cycle | {dl['cycle_ms']:.0f} ms = {df:.1%} of "
                 f"{d['cycle_ms']:.0f} ms (process wall: {dl['wall_s']:.2f} s = "
                 f"{dl['wall_s'] / d['wall_s']:.1%} of {d['wall_s']:.2f} s){limit_note} | "
                 f"{verdict(df <= TARGETS['delta_fraction'])} |")
    if "idle" in big:
        idle = big["idle"]
        L.append(f"| idle poll <= 2 ms of daemon CPU | {idle['cpu_ms_per_cycle']:.2f} ms per cycle | "
                 f"{verdict(idle['cpu_ms_per_cycle'] <= TARGETS['idle_cpu_ms'])} |")
    if "gzip" in big:
        g = big["gzip"]
        gf = d["bytes"] / g["bytes"]
        L.append(f"| gzip cuts bytes on the wire >= 5x | {gf:.1f}x ({d['bytes'] / MiB:.1f} MiB -> "
                 f"{g['bytes'] / MiB:.1f} MiB) | {verdict(gf >= TARGETS['gzip_factor'])} |")
    L.append("")

    L.append("## Initial sync by size\n")
    L.append("| Rows | dvsync wall | dvsync rows/s | dvsync CPU | dvsync peak RSS | Python peer wall | "
             "peer rows/s | peer peak RSS | dvsync / peer |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        dv, pe = r["dvsync"], r["peer"]
        L.append(f"| {r['rows']:,} | {dv['wall_s']:.2f} s | {r['rows'] / dv['wall_s']:,.0f} | {dv['cpu_s']:.2f} s | "
                 f"{dv['rss_mib']:.1f} MiB | {pe['wall_s']:.2f} s | {r['rows'] / pe['wall_s']:,.0f} | "
                 f"{pe['rss_mib']:.1f} MiB | {pe['wall_s'] / dv['wall_s']:.1f}x |")
    L.append("")
    L.append(f"![time and peak RSS against rows]({png_name})\n")

    L.append("## The limit, in the same run\n")
    L.append("`bench/limit` reads the pages the emulator serves (saved to files first, then loaded into memory), "
             "parses them with Boost.JSON (one reused parser, one arena per page, as the daemon does) and inserts "
             "the same rows into the same table (the daemon's own `CREATE TABLE` from `store::table_layout`, "
             "the daemon's per-connection PRAGMAs from `store::connection_pragmas`, WAL, `synchronous=FULL`) "
             "with one prepared plain `INSERT`, in page order. No network, no staging, no bookkeeping.\n")
    L.append("| Rows | parse (Boost.JSON DOM) | DOM to rows | insert, 1 transaction | insert, commit per 5000 | "
             "fetch only (Python requests) | dvsync wall / insert limit |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        li = r["limit"]
        L.append(f"| {r['rows']:,} | {li['parse_s']:.2f} s | {li['extract_s']:.2f} s | {li['insert_one_tx_s']:.2f} s | "
                 f"{li['insert_per_page_s']:.2f} s | {r['fetch_only_s']:.2f} s | "
                 f"{li['insert_one_tx_s'] / r['dvsync']['wall_s']:.0%} |")
    L.append("")
    L.append(f"dvsync at {n:,} rows: {rate:,.0f} rows/s is {rate / limit_rate:.0%} of the one-transaction insert "
             f"limit and {rate / limit_pp_rate:.0%} of the per-page-commit limit "
             f"(the daemon commits every page with its cursor, DESIGN.md decision 3).\n")

    if "shuffled" in big:
        sh = big["shuffled"]
        sd, sl = sh["dvsync"], sh["limit"]
        sh_rate = n / sd["wall_s"]
        L.append("## Keys in random order\n")
        L.append("The emulator seeds `bookcode-1, bookcode-2, ...` with ascending ids, so its initial read serves the "
                 "alternate keys in ascending order: the best case for the mirror, whose B-tree is keyed by "
                 "`sample_bookcode`. Dataverse serves rows in primary-key (GUID) order, so their alternate keys arrive "
                 "in effectively random order. Here the emulator is seeded with `--seed-order shuffled` (the same "
                 f"rows, ids ascending, the keys a random permutation), at {n:,} rows; the limits run on its pages.\n")
        L.append("The limits insert in the order the rows arrive (one transaction, and a commit per 5000 rows); the "
                 "third sorts the rows by key in memory first and inserts them in one transaction into the table "
                 "without the GUID's inline `UNIQUE`, then builds the GUID's unique index (sort and index "
                 "included): the end state of dvsync's sorted build, and what a mirror built in key order could "
                 "reach whatever the order on the wire.\n")
        L.append("| Keys | dvsync wall | dvsync rows/s | dvsync peak RSS | limit, 1 transaction | "
                 "limit, commit per 5000 | limit, sorted first | dvsync / 1-transaction limit | "
                 "dvsync / per-page limit | dvsync / sorted limit |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, dv, li in (("ascending", d, lim), ("random order", sd, sl)):
            sorted_s = li.get("insert_sorted_s")
            sorted_cells = (f"{sorted_s:.2f} s", f"{sorted_s / dv['wall_s']:.0%}") if sorted_s else ("–", "–")
            L.append(f"| {label} | {dv['wall_s']:.2f} s | {n / dv['wall_s']:,.0f} | {dv['rss_mib']:.1f} MiB | "
                     f"{li['insert_one_tx_s']:.2f} s | {li['insert_per_page_s']:.2f} s | {sorted_cells[0]} | "
                     f"{li['insert_one_tx_s'] / dv['wall_s']:.0%} | {li['insert_per_page_s'] / dv['wall_s']:.0%} | "
                     f"{sorted_cells[1]} |")
        L.append("")
        shuffled_limit_rate = n / sl["insert_one_tx_s"]
        L.append(f"With keys in random order dvsync mirrors {sh_rate:,.0f} rows/s: "
                 f"{sh_rate / limit_rate:.0%} of the in-order limit that the target above is measured against "
                 f"(informational; the target stays the in-order one) and {sh_rate / shuffled_limit_rate:.0%} of the "
                 f"one-transaction limit on the same pages, which itself drops from {limit_rate:,.0f} to "
                 f"{shuffled_limit_rate:,.0f} rows/s when it inserts in arrival order"
                 + (f"; sorted first, the limit reaches {n / sl['insert_sorted_s']:,.0f} rows/s "
                    f"({sh_rate * sl['insert_sorted_s'] / n:.0%} of it for dvsync)" if sl.get("insert_sorted_s") else "")
                 + (". dvsync beats the arrival-order limit: it does not insert the rows in the order they arrive"
                    if sh_rate > shuffled_limit_rate else "") + ".\n")

    L.append("## Delta and idle cycles\n")
    L.append("A 1% delta: `/_emulator/mutate` with fraction 0.01 (creates, updates and deletes of random rows, "
             "shares 2:7:1), then `dvsync once`. Cycle: from the cycle's start to its commit, as the daemon logs it "
             "(`cycle.done duration_ms`); wall and CPU: the whole process, start-up and the closing checkpoint "
             "included.\n")
    L.append("The limit: the same delta's pages (saved from the delta link dvsync stored, before dvsync reads them), "
             "parsed with Boost.JSON and applied by `bench/limit/delta_limit.cpp` to a copy of the mirror as dvsync "
             "left it: one transaction, prepared statements, deletes by id, then the upserts in key order (an `UPDATE` "
             "of the row with the same key and id; when there is none, a `DELETE` of the rows holding the key or the "
             "id, then an `INSERT`), `synchronous=FULL`, the automatic checkpoint off. Limit = apply + commit; its "
             "checkpoint is timed apart.\n")
    L.append("| Rows | changes | cycle | per 1,000 changes | share of the initial sync's cycle | limit (apply+commit) | "
             "cycle / limit | process wall | CPU |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        if "delta" not in r:
            continue
        dl = r["delta"]
        ch = dl["changed"]
        changes = ch["created"] + ch["updated"] + ch["deleted"]
        limit_ms = delta_limit_ms(dl)
        limit_cells = (f"{limit_ms:.0f} ms | {dl['cycle_ms'] / limit_ms:.1f}x" if limit_ms else "– | –")
        L.append(f"| {r['rows']:,} | {changes:,} | {dl['cycle_ms']:.0f} ms | {dl['cycle_ms'] * 1000 / changes:.0f} ms | "
                 f"{dl['cycle_ms'] / r['dvsync']['cycle_ms']:.1%} | {limit_cells} | {dl['wall_s']:.2f} s | "
                 f"{dl['cpu_s']:.2f} s |")
    L.append("")
    if "delta" in big and delta_limit_ms(big["delta"]):
        dl = big["delta"]
        limit_ms = delta_limit_ms(dl)
        L.append(f"At {n:,} rows the limit applies {dl['limit_rows']:,.0f} upserts and {dl['limit_deletes']:,.0f} "
                 f"deletes in {dl['limit_apply_s'] * 1000:.0f} ms and commits in {dl['limit_commit_s'] * 1000:.0f} ms: "
                 f"{limit_ms:.0f} ms, {limit_ms / d['cycle_ms']:.1%} of the initial sync's cycle ({d['cycle_ms']:.0f} ms; "
                 f"the target allows {TARGETS['delta_fraction']:.0%}). Its PASSIVE checkpoint, measured apart, takes "
                 f"{dl['limit_checkpoint_s'] * 1000:.0f} ms more.")
        if "merge_ms" in dl:
            split = f"merge {dl['merge_ms']:.0f} ms, commit {dl['commit_ms']:.0f} ms"
            if "checkpoint_ms" in dl:
                split += f", then the checkpoint after the cycle {dl['checkpoint_ms']:.0f} ms (outside the cycle)"
            L.append(f"dvsync's own split of its {dl['cycle_ms']:.0f} ms cycle (its debug events "
                     f"`store.cycle_committed` and `store.checkpoint`): {split}; the rest is fetching and staging the "
                     "pages.")
        if "wal_frames" in dl:
            L.append(f"The WAL the cycle left for the checkpoint after it (its staged pages, bookkeeping and final "
                     f"commit): {dl['wal_frames']:,.0f} frames of one {dl['page_bytes'] // 1024:.0f} KiB page each, "
                     f"{dl['wal_frames'] * dl['page_bytes'] / 2**20:,.0f} MiB, for {changes_of(dl):,} changes to "
                     f"{n:,} rows.")
        L.append("")
    if "delta_profile" in big:
        L += delta_profile_section(big, n)
    if "idle" in big:
        idle = big["idle"]
        spread = (f" (mean {idle['cpu_ms_mean']:.2f} ms, slowest {idle['cpu_ms_max']:.2f} ms)"
                  if "cpu_ms_mean" in idle else "")
        L.append(f"Idle poll (no changes) with {n:,} rows in the mirror: {idle['cpu_ms_per_cycle']:.2f} ms of daemon "
                 f"CPU per cycle, the median of {idle['cycles']} cycles of `dvsync run` polling every second{spread}; "
                 f"CPU read from `/proc/PID/task/*/schedstat` at each `cycle.done`, from the 3rd on. "
                 f"{idle['cycle_ms']:.0f} ms per cycle from start to commit.\n")

    if "gzip" in big:
        g = big["gzip"]
        L.append("## On the wire\n")
        L.append("Counted by the emulator (`/_emulator/stats`: requests and bytes written to the socket, headers "
                 "included, token request included).\n")
        L.append("| Initial sync | requests per 1,000 rows | bytes per 1,000 rows | wall | dvsync CPU |")
        L.append("|---|---:|---:|---:|---:|")
        for label, x in (("identity", d), ("gzip (`--gzip`)", g)):
            L.append(f"| {label} | {x['requests'] * 1000 / n:.2f} | {x['bytes'] * 1000 / n:,.0f} | "
                     f"{x['wall_s']:.2f} s | {x['cpu_s']:.2f} s |")
        L.append("")

    if meta.get("micro"):
        L.append("## Micro-benchmarks\n")
        L.append("`build-release/bench/micro/dvsync-bench-micro` (Google Benchmark), run once at the end: "
                 "`parse_page` parses one 5,000-row page; `stage_full_pages` stages 20 pages of 5,000 rows into a "
                 "full cycle and finishes it (keys ascending as the emulator's, or in random order as real tables "
                 "have them); `idle_delta_cycle` begins and finishes an empty delta on a mirror of N rows.\n")
        L.append("| Benchmark | time | CPU | rows/s |")
        L.append("|---|---:|---:|---:|")
        for b in meta["micro"]:
            rate = f"{b['items_per_second']:,.0f}" if b["items_per_second"] else ""
            L.append(f"| `{b['name']}` | {b['real']:,.2f} {b['unit']} | {b['cpu']:,.2f} {b['unit']} | {rate} |")
        L.append("")
    if meta.get("wide"):
        L += wide_section(meta["wide"], meta["command"])
    L.append("## Commands\n")
    L.append("```sh")
    L.append(meta["command"])
    L.append("```")
    L.append("It builds `build-release` (CMake Release), then `bench/run.sh` runs `bench/bench.py`, which for each "
             "size starts `dataverse-emulator --seed N` and drives `dvsync once` / `dvsync run`, "
             "`build-release/bench/dvsync-bench-limit`, `build-release/bench/dvsync-bench-delta-limit` and "
             "`bench/peer/python_sync.py`; then `dataverse-emulator --schema bench/wide_account.json` and "
             "`build-release/bench/dvsync-bench-wide-limit` for the wide table. "
             f"Working files: `{meta['work']}`.\n")
    notes = os.path.join(ROOT, "bench", "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            L.append(f.read().rstrip() + "\n")
    with open(path, "w") as f:
        f.write("\n".join(L))


def changes_of(delta):
    ch = delta["changed"]
    return ch["created"] + ch["updated"] + ch["deleted"]


def delta_profile_section(big, n):
    """The profile of one 1% delta, and what it says about the delta's cost."""
    prof = big["delta_profile"]
    total = prof["total"]
    phases = prof["phases"]

    def share(phase_names, activities=None):
        hits = 0
        for p in phase_names:
            for a, k in phases.get(p, {}).items():
                if activities is None or a in activities:
                    hits += k
        return hits / total if total else 0.0

    final = ("final merge", "final commit")
    io = ("reading pages (pread)", "writing pages (pwrite)", "syncing to disk")
    L = ["### Where a delta's time goes\n",
         f"One more 1% delta at {n:,} rows, `dvsync once` under `perf record -F 1999 --call-graph dwarf` "
         f"({total:,} samples of the whole process), classified by `bench/cpu_profile.py`: each sample counts once, under "
         "the phase of the cycle its stack is in and the kind of work at its top. Shares are of all the process's "
         "CPU samples; time spent waiting for the disk is not CPU and does not appear here (it is in the cycle's "
         "commit time above).\n",
         delta_profile.markdown(prof), "",
         f"The final merge and commit take {share(final):.0%} of the process's CPU, and {share(final, io):.0%} is "
         f"the kernel copying pages between SQLite and the page cache (reads of the pages the changes land on, "
         f"writes of them to the WAL) or syncing them; SQLite's own code takes {share(final, ('SQLite',)):.0%}. "
         f"Fetching, parsing and staging the pages take {share(('fetching pages', 'parsing pages', 'staging pages')):.0%}; "
         f"outside the cycle: the checkpoints after it {share(('checkpoint after the cycle', 'checkpoint when the process ends')):.0%} "
         f"(`dvsync run` makes them while it waits for the next poll), start-up (configuration, the TLS trust "
         f"store) {share(('start-up',)):.0%}, which `dvsync run` pays once.\n"]
    return L


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True, help="the Release build directory")
    p.add_argument("--rows", default="10000,100000,1000000", help="comma-separated sizes (default %(default)s)")
    p.add_argument("--repeat", type=int, default=5, help="runs per measurement (default %(default)s; the machine is shared, the median of 5 varies less)")
    p.add_argument("--work", help="working directory (default BUILD/bench-work)")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    p.add_argument("--wide-rows", type=int, default=WIDE_ROWS,
                   help="rows of the wide table (default %(default)s; 0 leaves it out)")
    p.add_argument("--wide-only", action="store_true",
                   help="measure the wide table only, and rewrite its section of the report")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the report and plot from the raw figures of the last run (WORK/<out>.json); "
                        "with --wide-only, the wide table's section (WORK/<out>-wide.json)")
    args = p.parse_args()

    build = os.path.abspath(args.build)
    work = os.path.abspath(args.work or os.path.join(build, "bench-work"))
    os.makedirs(work, exist_ok=True)
    png = os.path.splitext(args.out)[0].lower() + ".png"
    # One file of raw figures per report, so that a trial run elsewhere keeps the real one.
    raw = os.path.join(work, os.path.splitext(os.path.basename(args.out))[0] + ".json")
    wide_raw = os.path.splitext(raw)[0] + "-wide.json"
    if args.report_only and args.wide_only:
        with open(wide_raw) as f:
            saved = json.load(f)
        splice_section(args.out, wide_section(saved["wide"], saved["command"]))
        log(f"rewrote the wide table's section of {args.out} from {wide_raw}")
        return
    if args.report_only:
        with open(raw) as f:
            saved = json.load(f)
        plot(saved["results"], png)
        report(saved["results"], saved["meta"], args.out, os.path.basename(png))
        log(f"rewrote {args.out} and {png} from {raw}")
        return
    if args.wide_only:
        command = "./run bench --wide-only" + ("" if args.wide_rows == WIDE_ROWS else f" --wide-rows {args.wide_rows}") + \
                  f" --repeat {args.repeat}"
        log(f"load average {loadavg()}; working in {work}")
        wide = bench_wide(build, work, args.wide_rows, args.repeat)
        with open(wide_raw, "w") as f:
            json.dump({"command": command, "wide": wide}, f, indent=2)
        if not os.path.exists(args.out):
            with open(args.out, "w") as f:
                f.write("# Performance\n\n## Commands\n")
        splice_section(args.out, wide_section(wide, command))
        log(f"wrote the wide table's section of {args.out}; raw figures in {wide_raw}")
        return
    sizes = sorted(int(x) for x in args.rows.split(","))
    command = "./run bench" + ("" if args.rows == "10000,100000,1000000" else f" --rows {args.rows}") + \
              ("" if args.repeat == 3 else f" --repeat {args.repeat}") + \
              ("" if args.wide_rows == WIDE_ROWS else f" --wide-rows {args.wide_rows}")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    meta = {"command": command, "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "machine": machine(), "load_start": loadavg(), "commit": commit, "work": work}
    log(f"load average {meta['load_start']}; working in {work}")
    results = [bench_size(build, work, n, args.repeat, full=(n == sizes[-1])) for n in sizes]
    if args.wide_rows:
        meta["wide"] = bench_wide(build, work, args.wide_rows, args.repeat)
    log("micro-benchmarks")
    meta["micro"] = micro(build)
    meta["load_end"] = loadavg()
    with open(raw, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    plot(results, png)
    report(results, meta, args.out, os.path.basename(png))
    log(f"wrote {args.out} and {png}; raw figures in {raw}")


if __name__ == "__main__":
    main()
