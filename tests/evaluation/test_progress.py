"""Progress with the time left: a bar for a person at a terminal, a few plain lines under CI."""

from __future__ import annotations

import pytest

from evaluation import progress


def test_under_ci_it_logs_a_plain_line_per_tenth_with_the_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "true")
    lines: list[str] = []
    items = list(progress.progress(range(50), total=50, what="crop", log=lines.append))
    assert items == list(range(50))
    assert len(lines) == 10
    assert lines[0].startswith("crop: 5/50 (10%)") and "s left" in lines[0]
    assert lines[-1].startswith("crop: 50/50 (100%)")


def test_a_bar_is_drawn_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    assert list(progress.progress(range(3), total=3, what="model", log=lines.append, bar=True)) == [
        0,
        1,
        2,
    ]
    assert lines == [] and "model" in capsys.readouterr().err


def test_the_time_left_is_the_pace_so_far() -> None:
    assert progress.remaining(10.0, 5, 20) == 30.0


def test_ci_is_not_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    assert progress.interactive() is False
