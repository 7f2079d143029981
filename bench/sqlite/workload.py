"""The sqlite section of `make bench`: one database file in DIR (argv[1]), timed in-process by phase,
the fastest of 3 (a fresh file each time). Prints one JSON object {phase: seconds}. Run by
bench/suite.py under native python3 and python.wasm, each with its own directory.

- insert: 100 000 rows in one transaction (`executemany`), committed.
- index: `create index` on one column of those rows.
- indexed lookups: 2 000 point queries through that index.
- full scans: 10 queries that read every row (a `like` on an unindexed text column, a `group by`).
"""

import json
import os
import sqlite3
import sys
import time

ROWS = 100_000
LOOKUPS = 2_000
SCANS = 10


def phases(path):
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.execute("create table t (id integer primary key, key integer, label text, value real)")
    times = {}
    started = time.perf_counter()
    con.executemany("insert into t (key, label, value) values (?, ?, ?)",
                    (((i * 7919) % ROWS, f"label {i}", i * 0.5) for i in range(ROWS)))
    con.commit()
    times["insert 100000 rows, one transaction"] = time.perf_counter() - started
    started = time.perf_counter()
    con.execute("create index t_key on t (key)")
    con.commit()
    times["create index"] = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(LOOKUPS):
        con.execute("select label, value from t where key = ?", ((i * 104729) % ROWS,)).fetchall()
    times[f"{LOOKUPS} indexed lookups"] = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(SCANS // 2):
        con.execute("select count(*) from t where label like ?", (f"%{i}7%",)).fetchone()
        con.execute("select key % 10, count(*), sum(value) from t group by key % 10").fetchall()
    times[f"{SCANS} full scans"] = time.perf_counter() - started
    con.close()
    os.remove(path)
    return times


def main():
    path = os.path.join(sys.argv[1], "bench.db")
    best = {}
    for _ in range(3):
        for phase, seconds in phases(path).items():
            best[phase] = min(best.get(phase, seconds), seconds)
    print(json.dumps(best))


if __name__ == "__main__":
    main()
