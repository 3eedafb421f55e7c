"""Verdicts from distances."""

from __future__ import annotations

from service.kinds.face.verdicts import compare, judge


def test_threshold_is_inclusive() -> None:
    assert judge(0.4, 0.4).same_person is True
    assert judge(0.41, 0.4).same_person is False


def test_closer_candidate_wins_and_ties_go_to_img1() -> None:
    assert compare(0.7, 0.2, 0.5).most_similar == "img2"
    assert compare(0.2, 0.7, 0.5).most_similar == "img1"
    assert compare(0.3, 0.3, 0.5).most_similar == "img1"


def test_neither_can_be_the_same_person() -> None:
    result = compare(0.9, 0.8, 0.5)
    assert (
        result.most_similar == "img2"
        and not result.img1.same_person
        and not result.img2.same_person
    )
