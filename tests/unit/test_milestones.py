import pytest

from brokeforge.packages.base import Milestones
from brokeforge.packages.base.manager import PanelStep
from brokeforge.servers.models import Server
from tests.unit.helpers import TRACK_RE, expected, tracked
from tests.unit.installer_cases import CASES, all_cases, build


class DeployMilestones(Milestones):
    FETCH = "fetch", "Fetching the code"
    BUILD = "build", "Building"
    COMPLETE = "complete", "Deployed"


def test_count_labels_is_the_number_of_milestones() -> None:
    assert DeployMilestones.count_labels() == 3


def test_step_of_is_one_based_in_declaration_order() -> None:
    assert [DeployMilestones.step_of(m) for m in DeployMilestones] == [1, 2, 3]
    assert DeployMilestones.step_of("build") == 2


def test_step_of_an_unknown_milestone_raises() -> None:
    with pytest.raises(ValueError):
        DeployMilestones.step_of("rollback")


@pytest.mark.parametrize(("name", "case"), all_cases())
def test_every_milestone_is_tracked_once_in_order_and_complete_is_last(
    unsaved_server: Server, name: str, case: str
) -> None:
    steps = build(unsaved_server, name, case)
    milestones = list(CASES[name][case][0](unsaved_server).milestones())
    total = len(milestones)
    assert [step.description for step in tracked(steps)] == [
        f"{m.label} (step {i} of {total})" for i, m in enumerate(milestones, 1)
    ]
    assert milestones[-1].value == "complete"
    last = steps[-1]
    assert isinstance(last, PanelStep)
    match = TRACK_RE.match(last.description)
    assert match and match["label"] == milestones[-1].label


@pytest.mark.parametrize("name", CASES)
def test_every_case_has_its_expected_list_and_no_stale_ones(name: str) -> None:
    assert set(expected(name)) == set(CASES[name])
