"""Verdicts from distances."""

from __future__ import annotations

import math

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


# facesim-resnet 2.0.1's threshold, and its old logistic's 0.5 point (intercept / -slope = 0.6097):
# a distance between the two got "same_person: false, probability: 0.52" (issue 22).
THRESHOLD, SLOPE = 0.594404, -45.61747045058711


def test_verdict_and_probability_come_from_one_comparison() -> None:
    distances = [0.0, 0.3, 0.6, 0.61, 0.9, 2.0, THRESHOLD]
    distances += [math.nextafter(THRESHOLD, 0.0), math.nextafter(THRESHOLD, 1.0)]
    for distance in distances:
        verdict = judge(distance, THRESHOLD, SLOPE)
        assert verdict.probability is not None
        assert verdict.same_person == (verdict.probability >= 0.5), distance
        assert verdict.same_person == (distance <= THRESHOLD), distance


def test_the_threshold_itself_is_the_same_person_at_one_half() -> None:
    at = judge(THRESHOLD, THRESHOLD, SLOPE)
    assert at.same_person is True and at.probability == 0.5
    above = judge(math.nextafter(THRESHOLD, 1.0), THRESHOLD, SLOPE)
    assert above.same_person is False and above.probability is not None
    assert above.probability < 0.5


def test_a_distance_just_over_the_threshold_is_not_the_same_person_and_under_one_half() -> None:
    verdict = judge(0.60, THRESHOLD, SLOPE)
    assert verdict.same_person is False
    assert verdict.probability is not None and 0.4 < verdict.probability < 0.5


def test_without_a_calibration_there_is_no_probability() -> None:
    assert judge(0.3, 0.5).probability is None


def test_probabilities_fall_with_distance_and_stay_finite() -> None:
    ps = [judge(d, THRESHOLD, SLOPE).probability for d in (0.0, 0.4, 0.6, 0.8, 50.0)]
    assert all(p is not None for p in ps)
    assert ps == sorted(ps, reverse=True)  # type: ignore[type-var]
    assert ps[0] < 1.0 + 1e-12 and ps[-1] >= 0.0
