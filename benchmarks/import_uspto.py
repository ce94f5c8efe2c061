"""Throughput of the USPTO assignment XML importer against parsing the same file alone.

    python3 benchmarks/import_uspto.py [--records 100000] [--batch-size 2000] [--import-repeats 1] [--out FILE]

Writes a synthetic assignment file in the real daily file's shape (the same
elements, the real mix of conveyances, several assignors per record, 1 to 36
properties with application, publication and grant numbers, properties that
recur across records), then in one run times

- ``parse``: reading every record with ``dealtrack.importers.uspto.read_records`` (iterparse, no ledger);
- ``import``: ``import_assignments`` into a fresh file ledger (events, checks, hash chain; it loads in
  ``ledger.bulk()``, so the time includes the views' catch-up at the end: they are ready when it returns);

and reports records/s for each (min / median / max over the repeats) and the
ratio of the medians, import / parse (target: within 2x). Figures go to stdout and to a JSON file (default
``benchmarks/results/import_uspto.json``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: use this checkout's dealtrack
    sys.path.insert(0, str(ROOT))

from dealtrack import Ledger
from dealtrack.importers import import_assignments
from dealtrack.importers.uspto import read_records

REAL_FILE = ROOT.parent / "shared" / "data" / "uspto" / "ad20160101.xml"

# The mix of the real daily file (199 records): conveyance, share.
CONVEYANCES = [
    ("ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).", 140),
    ("MERGER (SEE DOCUMENT FOR DETAILS).", 35),
    ("SECURITY INTEREST (SEE DOCUMENT FOR DETAILS).", 13),
    ("RELEASE BY SECURED PARTY (SEE DOCUMENT FOR DETAILS).", 7),
    ("NUNC PRO TUNC ASSIGNMENT (SEE DOCUMENT FOR DETAILS).", 2),
    ("LICENSE (SEE DOCUMENT FOR DETAILS).", 1),
    ("CHANGE OF NAME (SEE DOCUMENT FOR DETAILS).", 1),
]
ASSIGNORS = [(1, 116), (2, 33), (3, 14), (4, 12), (5, 11), (6, 4), (7, 3), (8, 5), (9, 1)]
PROPERTIES = [(1, 138), (2, 11), (3, 11), (4, 10), (5, 5), (6, 5), (7, 2), (8, 1), (9, 4), (10, 2), (12, 1),
              (15, 2), (16, 1), (21, 1), (22, 1), (28, 1), (36, 2)]
SURNAMES = ["SMITH", "NGUYEN", "WANG", "MULLER", "TANAKA", "GARCIA", "KIM", "ROSSI", "DUBOIS", "IVANOV", "PATEL",
            "SILVA", "JOHANSSON", "COHEN", "OKAFOR", "LI", "SATO", "BROWN", "SCHMIDT", "KOWALSKI"]
GIVEN = ["JOHN A.", "MARIA", "WEI", "HANS-PETER", "YUKI", "CARLOS", "MIN-JUN", "GIULIA", "CLAIRE", "OLGA", "RAJ",
         "ANA", "ERIK", "DAVID M.", "CHIDI", "JING", "HIROSHI", "LISA K.", "KLAUS", "PIOTR"]
COMPANIES = ["ACME", "GLOBEX", "INITECH", "UMBRELLA", "HOOLI", "STARK", "WAYNE", "TYRELL", "CYBERDYNE", "SOYLENT",
             "MASSIVE DYNAMIC", "VANDELAY", "WONKA", "OSCORP", "GRINGOTTS", "APERTURE", "BLUTH", "DUNDER MIFFLIN"]
SUFFIXES = ["INC.", "LLC", "CORPORATION", "GMBH", "CO., LTD.", "AG", "S.A.", "LIMITED"]
BANKS = ["FIRST NATIONAL BANK", "SILICON VALLEY BANK", "CORTLAND CAPITAL MARKET SERVICES LLC, AS COLLATERAL AGENT",
         "JPMORGAN CHASE BANK, N.A., AS ADMINISTRATIVE AGENT"]
WORDS = ["SYSTEM", "METHOD", "APPARATUS", "WIRELESS", "SEMICONDUCTOR", "DEVICE", "CONTROL", "DATA", "NETWORK",
         "IMAGE", "BATTERY", "SIGNAL", "PROCESSING", "OPTICAL", "VALVE", "COMPOSITION", "MEDICAL", "VEHICLE"]


def weighted(rng: random.Random, table: list[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in table], weights=[weight for _, weight in table])[0]


def person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}"


def company(rng: random.Random) -> str:
    return f"{rng.choice(COMPANIES)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)}"


def day(rng: random.Random, first: int, last: int) -> str:
    return f"{rng.randint(first, last)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def dtd() -> str:
    """The DTD at the top of the real file, read at run time when it is there (never stored here)."""
    if not REAL_FILE.is_file():
        return ""
    head = REAL_FILE.read_text(encoding="utf-8")[:20_000]
    start, end = head.find("<!DOCTYPE"), head.find("]>")
    return head[start : end + 2] + "\n" if start >= 0 and end > start else ""


def write_file(out: TextIO, records: int, seed: int) -> int:
    """Write ``records`` synthetic records; return how many properties they list."""
    rng = random.Random(seed)
    pool = max(1000, records * 2)  # property numbers recur across records, as chains of title do
    listed = 0
    out.write('<?xml version="1.0" encoding="utf-8"?>\n' + dtd())
    out.write('<us-patent-assignments dtd-version="1.0" date-produced="20131101">\n  <action-key-code>DA'
              "</action-key-code>\n  <transaction-date>\n    <date>20160101</date>\n  </transaction-date>\n"
              "  <patent-assignments>\n")
    for index in range(records):
        conveyance = weighted(rng, CONVEYANCES)
        reel, frame = 37388 + index // 400, 1 + (index % 400) * 20
        if conveyance.startswith(("ASSIGNMENT", "NUNC")):
            assignors = [person(rng) for _ in range(weighted(rng, ASSIGNORS))]
        elif conveyance.startswith("RELEASE"):
            assignors = [rng.choice(BANKS)]
        else:
            assignors = [company(rng)]
        if conveyance.startswith("SECURITY"):
            assignees = [rng.choice(BANKS)]
        else:
            assignees = [company(rng) for _ in range(1 if rng.random() < 0.96 else 2)]
        executed = day(rng, 2000, 2015)
        parts = [
            "    <patent-assignment>\n      <assignment-record>\n",
            f"        <reel-no>{reel}</reel-no>\n        <frame-no>{frame}</frame-no>\n",
            "        <last-update-date>\n          <date>20160101</date>\n        </last-update-date>\n",
            "        <purge-indicator>N</purge-indicator>\n",
            "        <recorded-date>\n          <date>20151230</date>\n        </recorded-date>\n",
            f"        <page-count>{rng.randint(1, 40)}</page-count>\n",
            (f"        <correspondent>\n          <name>{escape(company(rng))}</name>\n"
             f"          <address-1>{rng.randint(1, 9999)} MAIN STREET</address-1>\n"
             "          <address-2>SUITE 100</address-2>\n          <address-3>SPRINGFIELD, IL 62701</address-3>\n"
             "        </correspondent>\n"),
            f"        <conveyance-text>{conveyance}</conveyance-text>\n      </assignment-record>\n",
            "      <patent-assignors>\n",
        ]
        for name in assignors:
            parts.append(f"        <patent-assignor>\n          <name>{escape(name)}</name>\n          <execution-date>\n"
                         f"            <date>{executed}</date>\n          </execution-date>\n        </patent-assignor>\n")
        parts.append("      </patent-assignors>\n      <patent-assignees>\n")
        for name in assignees:
            parts.append(f"        <patent-assignee>\n          <name>{escape(name)}</name>\n"
                         f"          <address-1>{rng.randint(1, 9999)} INDUSTRY WAY</address-1>\n"
                         "          <city>SAN JOSE</city>\n          <state>CALIFORNIA</state>\n"
                         "          <postcode>95134</postcode>\n        </patent-assignee>\n")
        parts.append("      </patent-assignees>\n      <patent-properties>\n")
        count = weighted(rng, PROPERTIES)
        listed += count
        for _ in range(count):
            number = rng.randrange(pool)
            application = 10_000_000 + number * 37 % 6_000_000
            shape = number % 10  # the same property always has the same documents
            docs = [(f"{application:08d}", "X0", day(rng, 1998, 2014))]
            if shape < 7:
                docs.append((f"{2000000000 + number * 13 % 16000000:011d}", "A1", day(rng, 2001, 2015)))
            if shape < 4 or shape >= 7:
                docs.append((str(6_000_000 + number), "B2" if shape < 4 else "B1", day(rng, 2002, 2015)))
            parts.append("        <patent-property>\n")
            for doc_number, kind, when in docs:
                parts.append(f"          <document-id>\n            <country>US</country>\n"
                             f"            <doc-number>{doc_number}</doc-number>\n            <kind>{kind}</kind>\n"
                             f"            <date>{when}</date>\n          </document-id>\n")
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
            parts.append(f'          <invention-title lang="en">{title}</invention-title>\n        </patent-property>\n')
        parts.append("      </patent-properties>\n    </patent-assignment>\n")
        out.write("".join(parts))
    out.write("  </patent-assignments>\n</us-patent-assignments>\n")
    return listed


def timed(work: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    value = work()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--parse-repeats", type=int, default=3)
    parser.add_argument("--import-repeats", type=int, default=1, help="imports, each into a fresh ledger")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "import_uspto.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dealtrack-bench-") as scratch:
        path = Path(scratch) / "ad-synthetic.xml"
        with open(path, "w", encoding="utf-8") as out:
            listed = write_file(out, args.records, args.seed)
        size = path.stat().st_size
        print(f"synthetic file: {args.records:,} records, {listed:,} properties, {size / 2**20:.1f} MiB", flush=True)

        parse_times = []
        for _ in range(args.parse_repeats):
            seconds, read = timed(lambda: sum(1 for _ in read_records(path, progress=False)))
            assert read == args.records, read
            parse_times.append(seconds)
        parse = statistics.median(parse_times)

        import_times = []
        for attempt in range(args.import_repeats):
            with Ledger.open(Path(scratch) / f"bench-{attempt}.db") as ledger:
                seconds, report = timed(
                    lambda: import_assignments(ledger, path, batch_size=args.batch_size, progress=False))
                events = len(ledger)
                assert report.appended == args.records and not report.problems, report
                assert ledger._store.views_position() == (events, events), "the views are ready when it returns"
            import_times.append(seconds)
        seconds = statistics.median(import_times)
        ratio = seconds / parse
        print(f"parse only: min / median / max {min(parse_times):.2f} / {parse:.2f} / {max(parse_times):.2f} s "
              f"({args.records / parse:,.0f} records/s)", flush=True)
        print(f"import: min / median / max {min(import_times):.2f} / {seconds:.2f} / {max(import_times):.2f} s "
              f"({args.records / seconds:,.0f} records/s, {events / seconds:,.0f} events/s, {events:,} events)", flush=True)
        print(f"import / parse: {ratio:.2f}x (target: within 2x)")

    figures = {
        "benchmark": "import_uspto",
        "records": args.records,
        "properties": listed,
        "file_mib": round(size / 2**20, 1),
        "events": events,
        "batch_size": args.batch_size,
        "parse_seconds": [round(t, 3) for t in parse_times],
        "parse_records_per_s": round(args.records / parse),
        "import_seconds": [round(t, 3) for t in import_times],
        "import_records_per_s": round(args.records / seconds),
        "import_events_per_s": round(events / seconds),
        "ratio_import_to_parse": round(ratio, 2),
        "target_ratio": 2.0,
        "met": ratio <= 2.0,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
