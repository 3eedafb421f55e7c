"""make fresh-check's plan: the steps a new user takes, what the container gets, how make test is judged."""

from __future__ import annotations

import re
from pathlib import Path

from freshcheck import plan
from rehearse.engine import REPO_ROOT

LOG = """\
tests/service/test_platforms.py ....
=========================== short test summary info ============================
SKIPPED [12] tests/rehearse/conftest.py:45: podman cannot run containers on this machine: exited 125:
Error: 'overlay' is not supported over overlayfs
SKIPPED [1] tests/test_docs.py:10: LFW is not at ../shared/data/lfw
SKIPPED [2] tests/rehearse/conftest.py:45: podman cannot run containers on this machine: exited 125:
Error: 'overlay' is not supported over overlayfs
================ 1100 passed, 15 skipped, 3 warnings in 1203.55s (0:20:03) =================
"""


def test_the_closing_line_is_read_with_its_counts_and_skips_by_reason() -> None:
    outcome = plan.read_outcome("make: entering\n" + LOG)
    assert outcome is not None
    assert outcome.line.startswith("=") and "1100 passed" in outcome.line
    assert outcome.counts == {"passed": 1100, "skipped": 15, "warnings": 3}
    assert outcome.skips == {
        "podman cannot run containers on this machine: exited 125: Error: 'overlay' is not "
        "supported over overlayfs": 14,
        "LFW is not at ../shared/data/lfw": 1,
    }
    assert outcome.problems() == []


def test_failures_errors_or_no_test_do_not_pass() -> None:
    failing = plan.read_outcome("===== 19 failed, 900 passed, 3 errors in 100.00s =====\n")
    assert failing is not None and failing.problems() == ["19 failed", "3 errors"]
    empty = plan.read_outcome("===== 4 skipped in 1.00s =====\n")
    assert empty is not None and empty.problems() == ["no test passed"]
    assert plan.read_outcome("make: *** [Makefile:70: test] Error 2\n") is None


def test_make_run_is_first_tried_without_python3_venv_and_make_test_comes_last() -> None:
    names = [step.name for step in plan.steps("-x tests/service")]
    refusal = names.index("make run without python3-venv refuses")
    assert names.index("apt-get install python3 make git") < refusal
    assert (
        refusal < names.index("apt-get install python3-venv") < names.index("make run: /readyz 200")
    )
    make_test = next(
        step for step in plan.steps("-x tests/service") if step.name.startswith("make test")
    )
    assert "PYTEST_ARGS='-x tests/service'" in make_test.command
    assert set(plan.PREREQUISITES) <= {w for step in plan.steps("") for w in step.command.split()}


def test_the_container_gets_registry_settings_and_the_ca_but_not_ci_or_host_paths() -> None:
    host = {
        "CI": "true",
        "PIP_FIND_LINKS": "/opt/wheels",
        "PIP_DEFAULT_TIMEOUT": "180",
        "HTTPS_PROXY": "http://proxy:3128",
        "HOME": "/root",
    }
    env = plan.container_env(host, with_ca=True)
    assert env == {
        "PIP_DEFAULT_TIMEOUT": "180",
        "HTTPS_PROXY": "http://proxy:3128",
        "PIP_CERT": plan.CONTAINER_CA,
        "NODE_EXTRA_CA_CERTS": plan.CONTAINER_CA,
        **plan.CACHE_ENV,
    }
    assert "PIP_CERT" not in plan.container_env(host, with_ca=False)


def test_shared_and_the_clone_source_are_mounted_read_only_beside_the_clone(tmp_path: Path) -> None:
    args = plan.run_args(
        "c", bundle=tmp_path / "b", shared=tmp_path / "shared", caches=tmp_path, ca=None, env={}
    )
    assert f"--volume={tmp_path / 'shared'}:{plan.SHARED_MOUNT}:ro" in args
    assert f"ln -sfn {plan.SHARED_MOUNT} {plan.WORK}/shared;" in plan.BASH_PRELUDE
    assert f"--volume={tmp_path / 'b'}:{plan.BUNDLE}:ro" in args
    assert plan.CLONE.rsplit("/", 1)[0] == plan.WORK
    assert args[-3:] == [plan.BASE, "sleep", "infinity"] and "--init" in args


def test_estimates_are_the_last_runs_times_where_known() -> None:
    steps = plan.steps("")
    last = {steps[0].name: 12.5}
    assert plan.estimates(steps, last) == [12.5, *(s.estimate_s for s in steps[1:])]


def test_the_readme_asks_for_exactly_what_fresh_check_installs() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    before = readme[readme.index("Before you start") : readme.index("## Run it")]
    text = " ".join(line.lstrip("> ").strip() for line in before.splitlines())
    install = re.search(r"`sudo apt-get install ([a-z0-9 .-]+)`", text)
    assert install is not None, text
    assert sorted(install[1].split()) == sorted(plan.PREREQUISITES)
