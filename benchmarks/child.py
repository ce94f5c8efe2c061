"""Run one measurement in a fresh process and print its seconds and peak RSS as JSON.

``python3 -m benchmarks.child rebuild PATH``: open the ledger and rebuild every view;
``decode PATH``: the baseline, a raw read of the log decoding each payload with orjson;
``open PATH``: only import dealtrack and open the ledger (the floor under the rebuild's RSS).
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time


def main(mode: str, path: str) -> None:
    count = 0
    if mode == "decode":
        import orjson

        start = time.perf_counter()
        conn = sqlite3.connect(path)
        for _type, payload in conn.execute("SELECT type, payload FROM events ORDER BY position"):
            orjson.loads(payload)
            count += 1
        seconds = time.perf_counter() - start
    else:
        from dealtrack import Ledger

        ledger = Ledger.open(path)
        count = len(ledger)
        start = time.perf_counter()
        if mode == "rebuild":
            ledger.rebuild()
        seconds = time.perf_counter() - start
        ledger.close()
    print(json.dumps({"mode": mode, "events": count, "seconds": seconds, "peak_rss_mb": peak_rss_kib() / 1024}))


def peak_rss_kib() -> int:
    """This process's peak resident memory since it started running this program.

    Linux's ``ru_maxrss`` also counts the memory of the parent copied at fork,
    before ``exec``; ``VmHWM`` belongs to this program's own address space.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
