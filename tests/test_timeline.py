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
