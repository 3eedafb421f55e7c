"""make fresh-check's progress: a bar that never runs ahead of a step, plain lines under CI."""

from __future__ import annotations

import io

from freshcheck.progress import StepProgress, bar_position


def test_the_bar_never_runs_past_a_steps_estimate_until_it_ends() -> None:
    assert bar_position(100.0, 50.0, 10.0) == 110.0
    assert bar_position(100.0, 50.0, 500.0) == 100.0 + 50.0 * 0.98


def test_plain_progress_prints_one_line_per_step_and_no_bar() -> None:
    out = io.StringIO()
    progress = StepProgress([3.0], plain=True, out=out)
    result, seconds = progress.step("git clone", lambda: 42)
    progress.say("done")
    progress.bar.close()
    assert result == 42 and seconds >= 0
    assert out.getvalue() == "... git clone (took 3 s last time)\ndone\n"
