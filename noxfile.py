"""Everything CI checks. ``nox`` with no arguments runs every session.

Sessions run in the current environment (``venv_backend="none"``): the README's test command
installs the project with its ``dev`` extra into ``.venv`` once, and every tool comes from there.
That keeps a run on a fresh machine to one install and works with only Python and pip.
"""

import os
import sys
from pathlib import Path

import nox

# Sessions use the tools installed beside the interpreter running nox (the project's .venv),
# never whatever else is on PATH.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "imports", "typecheck", "tests"]
nox.options.error_on_missing_interpreters = True


@nox.session
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def imports(session: nox.Session) -> None:
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    session.run("pytest", *session.posargs)


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Not part of CI: prints the figures recorded in docs/benchmarks.md."""
    session.run("python", "benchmarks/lifecycles.py", *session.posargs)
