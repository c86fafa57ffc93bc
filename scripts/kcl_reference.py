"""Runs a script under the reference KCL (PyPI kcl-lib), shared by the scripts that need it.

ensure_reference() returns when kcl_lib is importable; otherwise it re-executes the calling
script with the python of $KCL_REFERENCE_PYTHON (when that one can import kcl_lib) or of the venv
that install-kcl-reference.sh creates and prints.
"""
import os
import subprocess
import sys

INSTALLER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "install-kcl-reference.sh")
REEXEC_MARKER = "KCLGUARD_IN_REFERENCE_PYTHON"


def _importable(python):
    return bool(python) and subprocess.run(
        [python, "-c", "import kcl_lib.api"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ).returncode == 0


def ensure_reference(script):
    try:
        import kcl_lib.api  # noqa: F401
        return
    except ImportError:
        pass
    name = os.path.basename(script)
    if os.environ.get(REEXEC_MARKER):
        sys.exit(f"{name}: kcl_lib is not importable by the reference python")
    python = os.environ.get("KCL_REFERENCE_PYTHON", "")
    if not _importable(python):
        python = subprocess.run(
            ["bash", INSTALLER], check=True, stdout=subprocess.PIPE, text=True
        ).stdout.strip().splitlines()[-1]
    env = dict(os.environ, **{REEXEC_MARKER: "1"})
    os.execve(python, [python, os.path.abspath(script), *sys.argv[1:]], env)
