"""Where a `dvsync once` spends its CPU: perf samples of the whole process, each counted once under
the phase of the cycle it fell in and the kind of work it was doing.

Used by bench.py on a 1% delta, to explain what the delta's time is made of; also runnable alone:
    python3 bench/cpu_profile.py PERF_DATA
The phases are found by function names, which holds while the build does no link-time inlining
across dvsync's libraries; a stack deeper than the 16 KiB perf copies may be cut short and count as
"other".
"""
import collections
import shutil
import subprocess
import sys

# The first marker found anywhere in a sample's stack names its phase; order matters (the commit is
# inside finish_cycle, the closing checkpoint inside the database's destructor).
PHASES = [
    ("checkpoint when the process ends", ("store::database::~database", "store::connection::~connection")),
    ("checkpoint after the cycle", ("checkpoint_after_cycle",)),
    ("final commit", ("store::transaction::commit",), "store::database::finish_cycle"),
    ("final merge", ("store::database::finish_cycle",)),
    ("staging pages", ("store::database::stage_page",)),
    ("parsing pages", ("dataverse::parse_page",)),
    # Before fetching: the HTTP client's constructor loads the TLS trust store.
    ("start-up", ("cli::runtime::runtime", "http::client::impl::impl", "_dl_start", "_dl_relocate", "load_settings")),
    ("fetching pages", ("dvsync::http::", "sync::(anonymous namespace)::fetch")),
]
PHASE_ORDER = [p[0] for p in PHASES] + ["other"]

# What the sample was doing, from its stack: system calls first, then the library it was in.
ACTIVITIES = [
    ("syncing to disk", ("fdatasync", "fsync")),
    ("reading pages (pread)", ("pread64",)),
    ("writing pages (pwrite)", ("pwrite64",)),
]
ACTIVITY_ORDER = [a[0] for a in ACTIVITIES] + ["SQLite", "dvsync", "other"]


def available():
    return shutil.which("perf") is not None


def record(args, data, stderr_path, env):
    """Runs args under perf record (DWARF call graphs: Debian's libsqlite3 has no frame pointers)."""
    with open(stderr_path, "wb") as err:
        proc = subprocess.run(["perf", "record", "-q", "-F", "1999", "--call-graph", "dwarf,16384", "-o", data, "--"]
                              + args, stdout=subprocess.DEVNULL, stderr=err, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"perf record {' '.join(args)} exited {proc.returncode}; see {stderr_path}")


def samples(data):
    """Yields each sample's stack, leaf first, as (symbol, dso) pairs."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "tid,ip,sym,dso"], capture_output=True, text=True,
                         check=True).stdout
    stack = None
    for line in out.splitlines():
        if not line.strip():
            if stack is not None:
                yield stack
            stack = None
        elif line[0] in " \t" and stack is not None:
            parts = line.split(None, 1)
            rest = parts[1] if len(parts) > 1 else ""
            sym, _, dso = rest.rpartition(" (")
            stack.append((sym, dso.rstrip(")")))
        else:
            if stack is not None:
                yield stack
            stack = []
    if stack is not None:
        yield stack


def phase_of(stack):
    syms = [s for s, _ in stack]
    for entry in PHASES:
        name, markers = entry[0], entry[1]
        within = entry[2] if len(entry) > 2 else None
        if any(m in s for s in syms for m in markers) and (within is None or any(within in s for s in syms)):
            return name
    return "other"


def activity_of(stack):
    syms = [s for s, _ in stack]
    for name, markers in ACTIVITIES:
        if any(m in s for s in syms for m in markers):
            return name
    leaf_dso = stack[0][1] if stack else ""
    if "libsqlite3" in leaf_dso:
        return "SQLite"
    if leaf_dso.endswith("/dvsync"):
        return "dvsync"
    return "other"


def classify(data):
    """{phase: Counter(activity -> samples)} and the total sample count."""
    table = collections.defaultdict(collections.Counter)
    total = 0
    for stack in samples(data):
        if not stack:
            continue
        table[phase_of(stack)][activity_of(stack)] += 1
        total += 1
    return table, total


def to_json(table, total):
    return {"total": total, "phases": {p: dict(c) for p, c in table.items()}}


def markdown(profile):
    """The profile as a table: one row per phase, its share of all samples, split by activity."""
    total = profile["total"]
    phases = profile["phases"]
    lines = ["| phase | share of CPU samples | " + " | ".join(ACTIVITY_ORDER) + " |",
             "|---|---:|" + "---:|" * len(ACTIVITY_ORDER)]
    for p in PHASE_ORDER:
        counts = phases.get(p)
        if not counts:
            continue
        n = sum(counts.values())
        cells = [f"{counts.get(a, 0) / total:.0%}" if counts.get(a) else "" for a in ACTIVITY_ORDER]
        lines.append(f"| {p} | {n / total:.0%} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    t, n = classify(sys.argv[1])
    print(f"{n} samples")
    print(markdown(to_json(t, n)))
