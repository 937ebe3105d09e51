"""The README's example and commands are part of the product: these tests keep them true."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _block_after(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```", text, flags=re.DOTALL)
    assert match is not None, f"README.md has no code block after <!-- {marker} -->"
    return match.group(1)


def test_the_readme_example_opens_funds_and_releases_an_escrow() -> None:
    result = subprocess.run(  # noqa: S603 - runs our own README block with this interpreter
        [sys.executable, "-c", _block_after("example")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "completed [('release', '1500.00 MXN')]"


def test_ci_runs_the_readme_test_command() -> None:
    command = _block_after("test-command").strip()
    ci_script = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci_script
    assert command.startswith("python3 -m venv .venv")
    assert command.endswith(".venv/bin/nox")
