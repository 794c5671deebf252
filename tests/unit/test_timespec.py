from datetime import datetime, timedelta, timezone

import pytest

from rdstrail_tui.query.timespec import is_bare_date, parse_when

NOW = datetime(2024, 1, 16, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15", datetime(2024, 1, 15, tzinfo=timezone.utc)),
        ("2024-01-15T10:30", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30:00", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15 10:30:00", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30Z", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15t10:30z", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30+02:00", datetime(2024, 1, 15, 8, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30:00-0530", datetime(2024, 1, 15, 16, 0, tzinfo=timezone.utc)),
        ("2024-01-15T01:00+02", datetime(2024, 1, 14, 23, 0, tzinfo=timezone.utc)),
        ("2024-01-15T10:30:00.25Z", datetime(2024, 1, 15, 10, 30, 0, 250000, tzinfo=timezone.utc)),
        (
            "2024-01-15T10:30:00.123456789",
            datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=timezone.utc),
        ),
        ("  2024-01-15  ", datetime(2024, 1, 15, tzinfo=timezone.utc)),
        ("30s", NOW - timedelta(seconds=30)),
        ("30m", NOW - timedelta(minutes=30)),
        ("6h", NOW - timedelta(hours=6)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("0m", NOW),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    result = parse_when(text, NOW)
    assert result == expected
    assert result.tzinfo is timezone.utc


def test_relative_counts_back_from_an_aware_now_in_any_zone() -> None:
    now = datetime(2024, 1, 16, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert parse_when("1h", now) == datetime(2024, 1, 16, 11, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("yesterdayy", "use 2024-01-15, 2024-01-15T10:30Z"),
        ("", "use 2024-01-15"),
        ("1.5h", "an age (30m 6h 7d)"),
        ("7M", "an age"),
        ("-7d", "an age"),
        ("7 d", "an age"),
        ("15/01/2024", "use 2024-01-15"),
        ("2024-1-5", "use 2024-01-15"),
        ("2024-01-15+02:00", "use 2024-01-15"),
        ("2024-02-30", "day is out of range for month"),
        ("2024-13-01", "month must be in 1..12"),
        ("2024-01-15T24:00", "hour must be in 0..23"),
        ("2024-01-15T10:30+24:00", "offset +24:00 out of range"),
        ("99999999999d", "out of range"),
        ("0001-01-01T00:00+01:00", "out of range"),
    ],
)
def test_bad_time(text: str, detail: str) -> None:
    with pytest.raises(ValueError, match=r"^bad time ") as info:
        parse_when(text, NOW)
    assert repr(text) in str(info.value)
    assert detail in str(info.value)


def test_bad_time_message_is_actionable() -> None:
    with pytest.raises(ValueError) as info:
        parse_when("yesterdayy", NOW)
    assert str(info.value) == (
        "bad time 'yesterdayy': use 2024-01-15, 2024-01-15T10:30Z or an age (30m 6h 7d)"
    )


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("7d", datetime(2024, 1, 16))


@pytest.mark.parametrize(
    ("text", "bare"),
    [("2024-01-15", True), (" 2024-01-15 ", True), ("2024-01-15T00:00", False), ("1d", False)],
)
def test_is_bare_date(text: str, bare: bool) -> None:
    assert is_bare_date(text) is bare
