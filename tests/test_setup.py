"""Set-up on stock Linux: the README's commands make and use a venv, CI runs them verbatim,
and `dealtrack --help` imports nothing heavy (issue 17, item 8)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SETUP = README[README.index("## Set-up"):README.index("## A first ledger")]
COMMANDS = re.findall(r"^```sh\n(.*?)\n```", SETUP, re.MULTILINE | re.DOTALL)


def test_the_readme_has_two_one_line_set_up_commands_that_use_a_venv() -> None:
    assert len(COMMANDS) == 2 and all("\n" not in command for command in COMMANDS)
    for command in COMMANDS:
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install -e ")
        assert "python3 -m pip" not in command  # the system pip refuses: externally-managed-environment
    assert COMMANDS[0].endswith(".venv/bin/dealtrack demo")
    assert COMMANDS[1].endswith(".venv/bin/python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert COMMANDS[1] in script.splitlines()


def test_help_imports_neither_the_engine_nor_the_display_libraries() -> None:
    probe = (
        "import sys\n"
        "from dealtrack.cli import main\n"
        "try:\n"
        "    main(['--help'], standalone_mode=False)\n"
        "finally:\n"
        "    heavy = ['sqlite_utils', 'pandas', 'rich', 'orjson', 'cattrs', 'dealtrack.ledger', 'dealtrack.sqlite.store']\n"
        "    print(sorted(name for name in heavy if name in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "owners-of" in result.stdout
    assert result.stderr.strip() == "[]"


def test_ci_type_checks_the_package_and_typing_tests_with_mypy_and_pyright_before_the_tests() -> None:
    """Issue 17, item 7: the README's and docs' examples in typing_tests/ are type-checked, never run."""
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    mypy = lines.index(".venv/bin/mypy")
    pyright = lines.index(".ci/node/node_modules/.bin/pyright")
    assert any("pip install" in line and "mypy" in line for line in lines[:mypy])
    assert any(line.startswith("npm install --prefix .ci/node") and "pyright" in line for line in lines[:pyright])
    assert any("apt-get install -y nodejs npm" in line for line in lines[:pyright])  # a fresh Debian machine
    assert lines[-1] == COMMANDS[1]  # the README's test command stays last, verbatim
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"typing_tests"' in pyproject.split("[tool.mypy]")[1].split("\n[tool.")[0]
    assert '"typing_tests"' in pyproject.split("[tool.pyright]")[1]
    assert ".ci/node/" in (ROOT / ".gitignore").read_text().splitlines()


def test_typing_tests_are_never_collected_by_pytest() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'testpaths = ["tests"]' in pyproject.split("[tool.pytest.ini_options]")[1].split("\n[")[0]
    assert (ROOT / "typing_tests" / "first_ledger.py").is_file()
