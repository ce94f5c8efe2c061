"""Plain values: patent ids, periods, instants, money, sources, territories."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dealtrack import InvalidEvent, Money, Period, Source, normalize_patent
from dealtrack.values import _normalize_patent, parse_instant, parse_period, parse_territory

# --- patent ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("US 7,123,456 B2", "US7123456"),
        ("ep 1 234 567", "EP1234567"),
        ("IN 229632", "IN229632"),
        ("US 14/696,669", "USAPP14696669"),
        ("USAPP14696669", "USAPP14696669"),
        ("US7123456", "US7123456"),
        ("EP-1.234.567-A1", "EP1234567"),
    ],
)
def test_normalize_patent_spec_examples(text: str, expected: str) -> None:
    assert normalize_patent(text) == expected


@pytest.mark.parametrize("garbage", ["", "hello", "   ", None, 123, ["US7123456"]])
def test_normalize_patent_refuses_garbage_naming_field_and_value(garbage: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        normalize_patent(garbage)
    assert caught.value.field == "patent"
    assert caught.value.value == garbage


def test_normalize_patent_errors_name_the_callers_field() -> None:
    with pytest.raises(InvalidEvent) as caught:
        normalize_patent("hello", "LicenseGranted.patents")
    assert caught.value.field == "LicenseGranted.patents"


@st.composite
def patent_spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A user's spelling of a patent id and the canonical id it must normalise to."""
    country = draw(st.sampled_from(["US", "EP", "IN", "CN", "JP", "KR", "DE"]))
    number = draw(st.integers(1, 99_999_999))
    grouped = f"{number:,}"
    body = draw(st.sampled_from([str(number), grouped, grouped.replace(",", " "), grouped.replace(",", ".")]))
    spelled_country = draw(st.sampled_from([country, country.lower()]))
    separator = draw(st.sampled_from(["", " ", "-"]))
    kind = draw(st.sampled_from(["", " A1", " B2", "B1", " C"]))
    return f"{spelled_country}{separator}{body}{kind}", f"{country}{number}"


@st.composite
def us_application_spellings(draw: st.DrawFn) -> tuple[str, str]:
    series = draw(st.integers(10, 99))
    number = draw(st.integers(100_000, 999_999))
    text = draw(st.sampled_from([f"US {series}/{number:,}", f"US{series}/{number}", f"USAPP{series}{number}"]))
    return text, f"USAPP{series}{number}"


@given(st.one_of(patent_spellings(), us_application_spellings()))
def test_normalize_patent_is_canonical_and_idempotent(case: tuple[str, str]) -> None:
    text, expected = case
    canonical = normalize_patent(text)
    assert canonical == expected
    assert normalize_patent(canonical) == canonical



def _slow_path(text: object) -> str | type[InvalidEvent]:
    try:
        return _normalize_patent(text, "patent")
    except InvalidEvent:
        return InvalidEvent


def _fast_or_slow(text: object) -> str | type[InvalidEvent]:
    try:
        return normalize_patent(text)
    except InvalidEvent:
        return InvalidEvent


@st.composite
def id_like_texts(draw: st.DrawFn) -> str:
    """Texts near the ids the shortcut takes: canonical-looking prefixes, digit runs (8 digits from 13M up among
    them), and a sprinkle of what breaks them (a lower-case letter, a space, a kind code, a newline, a long run)."""
    prefix = draw(st.sampled_from(["US", "USAPP", "USRE", "USPP", "USD", "USH", "UST", "USX", "us", "EP", "WO", "U",
                                   "USAPPRE", "USREAPP", ""]))
    digits = draw(st.one_of(st.from_regex(r"[0-9]{0,12}", fullmatch=True),
                            st.integers(13_000_000, 19_999_999).map(str), st.just("9" * 201), st.just("0")))
    suffix = draw(st.sampled_from(["", "", "", "X0", "B2", "A", " ", "\n", "\u0663", "/1", ".5"]))
    return f"{prefix}{digits}{suffix}"


@given(st.one_of(id_like_texts(), st.text(max_size=30), st.integers()))
@example("US13123456")  # eight digits from 13M up: a serial number, which the rules rewrite as USAPP13123456
@example("USAPP13123456")
@example("US" + "1" * 199)  # past the 200 characters a patent id may have
@example("USRE42871\n")
def test_normalize_patent_shortcut_gives_what_the_rules_give(text: object) -> None:
    """The shortcut for ids already canonical answers (or refuses) exactly as the full rules do."""
    assert _fast_or_slow(text) == _slow_path(text)


# --- periods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2016", date(2016, 1, 1), date(2016, 12, 31)),
        ("2016-05", date(2016, 5, 1), date(2016, 5, 31)),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),  # leap year
        ("2015-02", date(2015, 2, 1), date(2015, 2, 28)),
        ("2016-05-31", date(2016, 5, 31), date(2016, 5, 31)),
        (" 2016-05 ", date(2016, 5, 1), date(2016, 5, 31)),
        (date(2016, 5, 31), date(2016, 5, 31), date(2016, 5, 31)),
        (datetime(2016, 5, 31, 23, 30), date(2016, 5, 31), date(2016, 5, 31)),
        ("2016-05-01/2016-05-15", date(2016, 5, 1), date(2016, 5, 15)),
        ("2016-05/2016-07", date(2016, 5, 1), date(2016, 7, 31)),
    ],
)
def test_parse_period(value: object, start: date, end: date) -> None:
    assert parse_period(value) == Period(start, end)
    assert Period.parse(value) == Period(start, end)


def test_period_exactness_and_a_period_passes_through() -> None:
    may = Period.parse("2016-05")
    assert not may.is_exact
    assert may.stop == date(2016, 6, 1)
    assert Period.parse("2016-05-31").is_exact
    assert parse_period(may) is may


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2016", "2016"),
        ("2016-05", "2016-05"),
        ("2016-02", "2016-02"),
        ("2016-05-31", "2016-05-31"),
        ("2016-05-01/2016-05-15", "2016-05-01/2016-05-15"),
        ("2016-05-01/2016-05-31", "2016-05"),
        ("2016-01/2016-12", "2016"),
    ],
)
def test_str_of_period_is_its_shortest_iso_form(value: str, text: str) -> None:
    assert str(Period.parse(value)) == text


LAST_SAFE_DAY = date(9998, 12, 31)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    day = draw(st.dates(min_value=date(1, 1, 1), max_value=LAST_SAFE_DAY))
    precision = draw(st.sampled_from(["year", "month", "day", "range"]))
    if precision == "year":
        return parse_period(f"{day.year:04d}")
    if precision == "month":
        return parse_period(f"{day.year:04d}-{day.month:02d}")
    if precision == "day":
        return parse_period(day)
    return Period(day, draw(st.dates(min_value=day, max_value=LAST_SAFE_DAY)))


@given(periods())
def test_str_of_period_parses_back_to_it(period: Period) -> None:
    assert parse_period(str(period)) == period


@pytest.mark.parametrize(
    "bad", ["2016-13", "2016-00", "16-05", "", "2016-05-32", "2016-02-30", "May 2016", "2016-05-15/2016-05-01", 2016, None, 2016.5]
)
def test_bad_dates_raise_invalid_event_naming_the_field(bad: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_period(bad, "LicenseGranted.expires")
    assert caught.value.field == "LicenseGranted.expires"
    assert caught.value.value == bad


# --- instants -------------------------------------------------------------------------

UTC = timezone.utc


def test_parse_instant_takes_naive_as_utc() -> None:
    moment = parse_instant(datetime(2016, 6, 1, 12, 0))
    assert moment == datetime(2016, 6, 1, 12, 0, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2016, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        "2016-06-01T14:00:00+02:00",
        "2016-06-01T12:00:00Z",
        "2016-06-01T12:00:00",
    ],
)
def test_parse_instant_converts_to_utc(value: object) -> None:
    moment = parse_instant(value)
    assert moment == datetime(2016, 6, 1, 12, 0, tzinfo=UTC)
    assert moment.tzinfo == UTC


@pytest.mark.parametrize("value", ["2016-06-01", date(2016, 6, 1)])
def test_parse_instant_of_a_day_is_the_end_of_that_day(value: object) -> None:
    assert parse_instant(value) == datetime(2016, 6, 1, 23, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize("garbage", ["", "yesterday", "2016-13-01", "2016-06-01T25:00", 42, None, 1.5])
def test_parse_instant_refuses_garbage(garbage: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_instant(garbage)
    assert caught.value.field == "known_at"
    assert caught.value.value == garbage


@pytest.mark.parametrize("extreme", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"])
def test_parse_instant_out_of_range_raises_invalid_event(extreme: str) -> None:
    # Converting these to UTC leaves datetime's range; the caller must still get an InvalidEvent.
    with pytest.raises(InvalidEvent) as caught:
        parse_instant(extreme)
    assert caught.value.field == "known_at"


# --- money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(350_000_000, Decimal("350000000")), ("1.50", Decimal("1.50")), (0.1, Decimal("0.1")), (Decimal("7"), Decimal("7")), (0, Decimal(0))],
)
def test_money_amount_is_a_decimal(amount: object, expected: Decimal) -> None:
    money = Money(amount, "USD")
    assert isinstance(money.amount, Decimal)
    assert money.amount == expected


def test_money_currency_is_upper_case() -> None:
    assert Money(1, " usd ").currency == "USD"


@pytest.mark.parametrize("amount", [-1, "-0.01", float("nan"), "NaN", float("inf"), True, False, "lots", None, [1]])
def test_money_refuses_bad_amounts(amount: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        Money(amount, "USD")
    assert caught.value.field == "Money.amount"


@pytest.mark.parametrize("currency", ["US", "dollars", "", 840, None])
def test_money_refuses_bad_currencies(currency: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        Money(1, currency)
    assert caught.value.field == "Money.currency"


# --- sources ------------------------------------------------------------------------------


def test_source_published_is_a_period() -> None:
    source = Source(publisher="Microsoft News Center", published="2016-05-31")
    assert source.published == Period(date(2016, 5, 31), date(2016, 5, 31))
    assert Source(url="https://example.com", published="2016-05").published == Period.parse("2016-05")
    assert Source(title="Xiaomi buys patents").published is None


@pytest.mark.parametrize("kwargs", [{}, {"url": None, "title": None, "publisher": None}, {"url": "   "}, {"published": "2016"}])
def test_source_with_nothing_to_point_at_is_refused(kwargs: dict) -> None:
    with pytest.raises(InvalidEvent) as caught:
        Source(**kwargs)
    assert caught.value.field == "Source"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"url": 1}, "Source.url"), ({"title": ["t"]}, "Source.title"), ({"title": "t", "published": "2016-13"}, "Source.published")],
)
def test_source_refuses_bad_fields(kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        Source(**kwargs)
    assert caught.value.field == field


# --- territories ------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("IN", "IN"), ("in", "IN"), (" us ", "US"), ("WORLD", "WORLD"), ("world", "WORLD")])
def test_parse_territory(value: str, expected: str) -> None:
    assert parse_territory(value) == expected


@pytest.mark.parametrize("bad", ["IND", "India", "I1", "", None, 91])
def test_parse_territory_refuses_non_codes(bad: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_territory(bad)
    assert caught.value.field == "territory"
    assert caught.value.value == bad
