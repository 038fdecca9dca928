#!/usr/bin/env python3
"""A consumer of dvsync's change feed: keeps a replica database equal to the mirror.

    python3 feed_consumer.py MIRROR.db REPLICA.db [--follow SECONDS] [--replay]

Each mirror table with a feed gets a table of the same name in REPLICA.db, keyed by the row's GUID
(dvsync_id), with one column per mirror column. The first run copies the mirror tables and the
feed's last seq in one read transaction; every run after that applies the feed rows after the seq
it stored, in one replica transaction that also stores the new seq, so a consumer killed at any
moment applies each change exactly once. If the rows after its seq were pruned
(database.change_feed_retention_days) it copies the mirror again, saying so. With --replay, a new
replica is built from the whole feed alone instead (refused when rows were pruned): a check that
the feed holds every change since the tables were first fed.

Only the Python standard library; the mirror is opened read-only while dvsync runs.
"""
import argparse
import json
import sqlite3
import sys
import time


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def id_column(mirror, table):
    """The mirror's GUID column: its primary key, or, for a table keyed by an alternate key, the
    column of the other unique index (UNIQUE in the column, or dvsync_id_<table>)."""
    info = mirror.execute(f"PRAGMA table_info({quote(table)})").fetchall()
    pk = [row[1] for row in info if row[5] == 1]
    for index in mirror.execute(f"PRAGMA index_list({quote(table)})").fetchall():
        name, unique, origin = index[1], index[2], index[3]
        if unique and origin != "pk":
            columns = mirror.execute(f"PRAGMA index_info({quote(name)})").fetchall()
            if len(columns) == 1:
                return columns[0][2]
    return pk[0]


def ensure_columns(replica, table, names):
    replica.execute(f"CREATE TABLE IF NOT EXISTS {quote(table)} (dvsync_id TEXT PRIMARY KEY)")
    have = {row[1].lower() for row in replica.execute(f"PRAGMA table_info({quote(table)})")}
    for name in names:
        if name.lower() not in have:
            replica.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)}")


def upsert(replica, table, row_id, row):
    ensure_columns(replica, table, row.keys())
    names = ["dvsync_id"] + list(row.keys())
    replica.execute(
        f"INSERT OR REPLACE INTO {quote(table)} ({', '.join(map(quote, names))}) "
        f"VALUES ({', '.join('?' for _ in names)})",
        [row_id] + list(row.values()),
    )


def last_seq(mirror):
    """The last number the feed gave out, even when its row was pruned since."""
    row = mirror.execute("SELECT seq FROM sqlite_sequence WHERE name = 'dvsync_feed'").fetchone()
    return row[0] if row else 0


def copy_mirror(mirror, replica):
    """Copies every fed table; returns the feed's last seq (the caller holds one read snapshot)."""
    tables = [r[0] for r in mirror.execute("SELECT table_name FROM dvsync_table_state WHERE change_feed = 1")]
    for table in tables:
        replica.execute(f"DROP TABLE IF EXISTS {quote(table)}")
        guid = id_column(mirror, table)
        cursor = mirror.execute(f"SELECT * FROM {quote(table)}")
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = {n: v for n, v in zip(names, values) if n != "dvsync_version"}
            upsert(replica, table, row[guid], row)
    return last_seq(mirror)


def run_once(mirror, replica, replay=False):
    replica.execute("CREATE TABLE IF NOT EXISTS feed_position (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER)")
    stored = replica.execute("SELECT seq FROM feed_position").fetchone()
    mirror.execute("BEGIN")  # one snapshot of the mirror: the check for pruned rows and the rows read
    try:
        if stored is None and replay:
            if mirror.execute("SELECT min(seq) FROM dvsync_feed").fetchone()[0] not in (None, 1):
                raise SystemExit("feed_consumer: --replay: the first rows of the feed were pruned")
            stored = (0,)
        return apply_from(mirror, replica, stored)
    finally:
        mirror.execute("COMMIT")


def apply_from(mirror, replica, stored):
    # The first seq still kept; with none kept, the one the next change will get.
    first = mirror.execute("SELECT min(seq) FROM dvsync_feed").fetchone()[0] or last_seq(mirror) + 1
    replica.execute("BEGIN IMMEDIATE")  # one transaction: the changes and the position they lead to
    try:
        if stored is None or stored[0] < first - 1:
            if stored is not None:
                print(f"feed_consumer: changes after seq {stored[0]} were pruned; copying the mirror again",
                      file=sys.stderr)
            seq = copy_mirror(mirror, replica)
            applied = 0
        else:
            seq, applied = stored[0], 0
            for seq, table, row_id, op, row in mirror.execute(
                    "SELECT seq, table_name, id, op, row FROM dvsync_feed WHERE seq > ? ORDER BY seq", (stored[0],)):
                if op == "upsert":
                    upsert(replica, table, row_id, json.loads(row))
                else:
                    ensure_columns(replica, table, [])
                    replica.execute(f"DELETE FROM {quote(table)} WHERE dvsync_id = ?", (row_id,))
                applied += 1
        replica.execute("INSERT OR REPLACE INTO feed_position (id, seq) VALUES (1, ?)", (seq,))
        replica.execute("COMMIT")
    except BaseException:
        replica.execute("ROLLBACK")
        raise
    return seq, applied


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mirror")
    parser.add_argument("replica")
    parser.add_argument("--follow", type=float, metavar="SECONDS", help="keep polling the feed every SECONDS")
    parser.add_argument("--replay", action="store_true", help="build a new replica from the whole feed alone")
    args = parser.parse_args()
    mirror = sqlite3.connect(f"file:{args.mirror}?mode=ro", uri=True, isolation_level=None, timeout=30)
    replica = sqlite3.connect(args.replica, isolation_level=None, timeout=30)
    while True:
        seq, applied = run_once(mirror, replica, args.replay)
        print(f"feed_consumer: at seq {seq}, {applied} change(s) applied")
        if args.follow is None:
            return 0
        time.sleep(args.follow)


if __name__ == "__main__":
    sys.exit(main())
