"""The narrated walkthrough plays a whole escrow to completion with a balanced ledger."""

import pytest

from kustodia_domain.escrow.states import EscrowState
from kustodia_entrypoints.bootstrap.cli import main


def test_the_walkthrough_completes_the_escrow_and_narrates_each_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["walkthrough"]) == 0
    out = capsys.readouterr().out
    for step in range(1, 10):
        assert f"{step}. " in out
    assert EscrowState.COMPLETED.value in out
    assert "refund" in out
