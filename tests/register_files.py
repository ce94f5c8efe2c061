"""Test helpers for the register importers: the real daily file, read independently, and files written at test time.

The real file lives beside the checkout (``../shared/data/uspto``) and is
never copied into the repository: the CSV tables, zips and cut-short copies
the tests need are written into a temporary folder while they run.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uspto"
REAL_FILE = DATA / "ad20160101.xml"

needs_real_file = pytest.mark.skipif(not REAL_FILE.is_file(), reason=f"the real USPTO file is not at {REAL_FILE}")

GRANT_KINDS = {"B1", "B2"}


@dataclass
class Doc:
    number: str
    kind: str
    day: str = ""


@dataclass
class Record:
    """A register record as the tests read it, straight from the XML (not through dealtrack)."""

    reel: str
    frame: str
    recorded: str
    conveyance: str
    assignors: list[tuple[str, str]]  # (name, execution date yyyymmdd)
    assignees: list[str]
    properties: list[list[Doc]]
    titles: list[str] = field(default_factory=list)
    purge: str = "N"

    @property
    def ref(self) -> str:
        return f"{int(self.reel):06d}/{int(self.frame):04d}"

    @property
    def recorded_day(self) -> date:
        return day(self.recorded)

    @property
    def executed_day(self) -> date:
        return max(day(d) for _, d in self.assignors)

    def property_ids(self) -> list[str]:
        """Grant number when a B-kind document is listed, else the application number."""
        found = []
        for docs in self.properties:
            grants = [d.number for d in docs if d.kind in GRANT_KINDS]
            apps = [d.number for d in docs if d.kind == "X0"]
            found.append(f"US{grants[0]}" if grants else f"USAPP{apps[0]}")
        return found

    def application_ids(self) -> list[str]:
        return [f"USAPP{d.number}" for docs in self.properties for d in docs if d.kind == "X0"]


def day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def read_records(path: Path = REAL_FILE) -> list[Record]:
    """Every record of a register XML file, read with the standard library alone."""
    records = []
    for element in ET.parse(path).getroot().iter("patent-assignment"):
        head = element.find("assignment-record")
        assert head is not None
        records.append(Record(
            reel=head.findtext("reel-no", ""),
            frame=head.findtext("frame-no", ""),
            recorded=head.findtext("recorded-date/date", ""),
            conveyance=head.findtext("conveyance-text", ""),
            purge=head.findtext("purge-indicator", "N"),
            assignors=[(a.findtext("name", "").strip(), a.findtext("execution-date/date", ""))
                       for a in element.iter("patent-assignor")],
            assignees=[a.findtext("name", "").strip() for a in element.iter("patent-assignee")],
            properties=[[Doc(d.findtext("doc-number", ""), d.findtext("kind", ""), d.findtext("date", ""))
                         for d in p.iter("document-id")] for p in element.iter("patent-property")],
            titles=[p.findtext("invention-title", "") for p in element.iter("patent-property")],
        ))
    return records


#: How the tests name each conveyance text's kind (the register's own words, read independently).
KIND_OF_TEXT = {
    "ASSIGNMENT OF ASSIGNORS INTEREST": "assignment",
    "NUNC PRO TUNC ASSIGNMENT": "nunc_pro_tunc",
    "MERGER": "merger",
    "CHANGE OF NAME": "change_of_name",
    "SECURITY INTEREST": "security_interest",
    "RELEASE BY SECURED PARTY": "release",
    "LICENSE": "licence",
}
CONVEY_TY = {"assignment": "assignment", "nunc_pro_tunc": "assignment", "merger": "merger",
             "change_of_name": "namechg", "security_interest": "security", "release": "release", "licence": "license"}


def kind_of(record: Record) -> str:
    text = record.conveyance.split(" (SEE DOCUMENT")[0]
    return KIND_OF_TEXT.get(text, "other")


# --- files written at test time ------------------------------------------------------------------


def iso(text: str) -> str:
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if text else ""


def write_dataset(records: list[Record], folder: Path) -> Path:
    """The Patent Assignment Dataset's five tables for ``records``, with the columns the USPTO documents."""
    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, tuple[list[str], list[list[str]]]] = {
        "assignment": (["rf_id", "file_id", "cname", "caddress_1", "caddress_2", "caddress_3", "caddress_4",
                        "reel_no", "frame_no", "convey_text", "record_dt", "last_update_dt", "page_count",
                        "purge_indic"], []),
        "assignor": (["rf_id", "or_name", "exec_dt", "ack_dt"], []),
        "assignee": (["rf_id", "ee_name", "ee_address_1", "ee_address_2", "ee_city", "ee_state", "ee_postcode",
                      "ee_country"], []),
        "documentid": (["rf_id", "title", "lang", "appno_doc_num", "appno_date", "appno_country", "pgpub_doc_num",
                        "pgpub_date", "pgpub_country", "grant_doc_num", "grant_date", "grant_country"], []),
        "assignment_conveyance": (["rf_id", "convey_ty", "employer_assign"], []),
    }
    for record in records:
        rf_id = str(int(record.reel) * 10000 + int(record.frame))
        tables["assignment"][1].append([rf_id, "1", "", "", "", "", "", record.reel, record.frame, record.conveyance,
                                        iso(record.recorded), iso(record.recorded), "1", record.purge])
        tables["assignor"][1].extend([rf_id, name, iso(executed), ""] for name, executed in record.assignors)
        tables["assignee"][1].extend([rf_id, name, "", "", "", "", "", ""] for name in record.assignees)
        for docs, title in zip(record.properties, record.titles):
            app = next((d for d in docs if d.kind == "X0"), Doc("", ""))
            pub = next((d for d in docs if d.kind.startswith("A")), Doc("", ""))
            grant = next((d for d in docs if d.kind in GRANT_KINDS), Doc("", ""))
            tables["documentid"][1].append([rf_id, title, "en", app.number, iso(app.day), "US", pub.number,
                                            iso(pub.day), "US" if pub.number else "", grant.number, iso(grant.day),
                                            "US" if grant.number else ""])
        tables["assignment_conveyance"][1].append([rf_id, CONVEY_TY.get(kind_of(record), "other"), "0"])
    for name, (header, rows) in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return folder


def assignment_xml(records: list[Record], root: str = "us-patent-assignments") -> str:
    """A register XML file in the real file's shape for made-up ``records``."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<{root} dtd-version="1.0" date-produced="20131101">',
             "<action-key-code>DA</action-key-code><transaction-date><date>20160101</date></transaction-date>",
             "<patent-assignments>"]
    for r in records:
        parts.append(
            "<patent-assignment><assignment-record>"
            f"<reel-no>{r.reel}</reel-no><frame-no>{r.frame}</frame-no>"
            "<last-update-date><date>20160101</date></last-update-date>"
            f"<purge-indicator>{r.purge}</purge-indicator><recorded-date><date>{r.recorded}</date></recorded-date>"
            "<page-count>3</page-count><correspondent><name>A LAW FIRM</name></correspondent>"
            f"<conveyance-text>{escape(r.conveyance)}</conveyance-text></assignment-record><patent-assignors>"
        )
        parts += [f"<patent-assignor><name>{escape(n)}</name><execution-date><date>{d}</date></execution-date>"
                  "</patent-assignor>" for n, d in r.assignors]
        parts.append("</patent-assignors><patent-assignees>")
        parts += [f"<patent-assignee><name>{escape(n)}</name></patent-assignee>" for n in r.assignees]
        parts.append("</patent-assignees><patent-properties>")
        for docs in r.properties:
            parts.append("<patent-property>")
            parts += [f"<document-id><country>US</country><doc-number>{d.number}</doc-number><kind>{d.kind}</kind>"
                      f"<date>{d.day or '20150101'}</date></document-id>" for d in docs]
            parts.append('<invention-title lang="en">A WIDGET</invention-title></patent-property>')
        parts.append("</patent-properties></patent-assignment>")
    parts.append(f"</patent-assignments></{root}>")
    return "\n".join(parts)


def made_up(reel: str, frame: str, conveyance: str, assignor: str, assignee: str, app: str, grant: str | None = None,
            executed: str = "20150601", recorded: str = "20151230", purge: str = "N") -> Record:
    docs = [Doc(app, "X0")] + ([Doc(grant, "B2", "20151222")] if grant else [])
    return Record(reel, frame, recorded, conveyance, [(assignor, executed)], [assignee], [docs], ["A WIDGET"], purge)
