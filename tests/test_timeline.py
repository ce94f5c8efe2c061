"""Timelines: ownership spans per patent with licences and bans as bands, saved as PNG or SVG."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealtrack import InvalidEvent, Ledger
from dealtrack.cli import main
from dealtrack.events import BanImposed, BanLifted
from dealtrack.story import seed_story
from dealtrack.timeline import DPI, MARGIN, ROW, WIDTH, lanes

pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def story(ledger: Ledger) -> Ledger:
    ledger.append(*seed_story())
    ledger.append(
        BanImposed(ban_id="delhi-1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
                   patents=["US8000001"], effective="2014-12-08"),
        BanLifted(ban_id="delhi-1", effective="2016-01-08"),
    )
    return ledger


def test_lanes_are_the_chain_of_title_then_licences_then_bans(story: Ledger) -> None:
    found = lanes(story, patents=["US 8,000,003 B2"])
    assert [lane.kind for lane in found] == ["title", "licence", "licence"]
    assert [bar.label for bar in found[0].bars] == ["Microsoft", "Microsoft Technology Licensing, LLC", "Xiaomi"]
    # Xiaomi's portfolio licences cover it once Xiaomi holds it; Microsoft's side of the
    # cross-licence does not (Microsoft no longer held it on the day the licence began)
    assert [(lane.name, lane.bars[0].label) for lane in found[1:]] == [
        ("msft-xiaomi-xl", "Xiaomi -> Microsoft"), ("nokia-xiaomi-sep-xl", "Xiaomi -> Nokia")]
    uncertain = lanes(story, patents="EP1000001")[0].bars
    assert [(bar.label, bar.certain) for bar in uncertain] == [
        ("Nokia", True), ("Nokia or Xiaomi", False), ("Xiaomi", True)]
    bans = [lane for lane in lanes(story, party="Xiaomi") if lane.kind == "ban"]
    assert [(lane.name, str(lane.bars[0].start), str(lane.bars[0].end)) for lane in bans] == [
        ("delhi-1", "2014-12-08", "2016-01-08")]


def test_plot_saves_a_png_of_the_expected_size(story: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "timeline.png"
    figure = story.plot_timeline(party="Xiaomi", path=path)
    rows = len(lanes(story, party="Xiaomi"))
    assert png_size(path) == (round(WIDTH * DPI), round((MARGIN + ROW * rows) * DPI))
    assert figure.axes[0].get_yticklabels()[-1].get_text() == "EP1000001"


def test_plot_saves_svg_and_draws_everything_by_default(story: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "timeline.svg"
    figure = story.plot_timeline(path=path)
    assert path.read_text().lstrip().startswith("<?xml") and "<svg" in path.read_text()[:1000]
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert "US8000004" in labels and "ban delhi-1" in labels


def test_plot_refuses_what_it_cannot_draw(story: Ledger, tmp_path: Path) -> None:
    with pytest.raises(InvalidEvent, match="png or .svg"):
        story.plot_timeline(patents="US8000001", path=tmp_path / "timeline.jpg")
    with pytest.raises(InvalidEvent, match="nothing recorded"):
        Ledger.open().plot_timeline()


def test_chain_command_with_plot(story: Ledger, tmp_path: Path) -> None:
    db = tmp_path / "deals.db"
    with Ledger.open(db) as ledger:
        ledger.append(*seed_story())
    out = tmp_path / "chain.png"
    result = CliRunner().invoke(main, ["chain", "US8000003", "--db", str(db), "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert "Microsoft Technology Licensing, LLC" in result.output and f"timeline written to {out}" in result.output
    assert png_size(out)[0] == round(WIDTH * DPI)


def test_more_than_a_hundred_patents_are_drawn_one_lane_per_holder(ledger: Ledger, tmp_path: Path) -> None:
    from dealtrack.events import PatentRegistered, PatentsAssigned

    patents = [f"US{7000000 + n}" for n in range(150)]
    ledger.append(*(PatentRegistered(patent=p, owner="Nokia", effective="2001") for p in patents),
                  PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=patents[:40], effective="2017-07"),
                  PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=patents[40:41], effective="2018-03-01"))
    found = lanes(ledger, patents=patents)
    assert [(lane.name, len(lane.bars)) for lane in found] == [("Nokia (150 patents)", 1), ("Xiaomi (41 patents)", 1)]
    assert str(found[1].bars[0].start) == "2017-07-01" and found[0].bars[0].end is None
    ledger.plot_timeline(patents=patents, path=tmp_path / "many.png")
    assert png_size(tmp_path / "many.png")[1] == round((MARGIN + ROW * 2) * DPI)


def test_long_holder_names_wrap_in_the_legend_and_short_spans_show(ledger: Ledger) -> None:
    from dealtrack.events import PatentRegistered, PatentsAssigned

    long_name = "Microsoft Technology Licensing, LLC, a Washington limited liability company"
    ledger.append(PatentRegistered(patent="US1", owner=long_name, effective="2000-01-01"),
                  PatentsAssigned(assignor=long_name, assignee="Xiaomi", patents=["US1"], effective="2020-01-01"),
                  PatentsAssigned(assignor="Xiaomi", assignee="HMD", patents=["US1"], effective="2020-01-02"))
    figure = ledger.plot_timeline(patents=["US1"])
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert all(len(line) <= 28 for label in labels for line in label.splitlines())
    assert any("Washington" in label for label in labels)
    widths = sorted(patch.get_paths()[0].get_extents().width for patch in figure.axes[0].collections[0:3])
    assert widths[0] > 0.003 * sum(widths)  # Xiaomi's one day is still a visible bar
