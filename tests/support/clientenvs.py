"""Real third-party clients, each installed in its own virtual environment.

The clients pin libraries the project does not use (flaat pins old PyJWT and requests-cache
releases; the OpenStack clients weigh 175 MB), so none of them is installed into the project's
environment. :func:`client_python` builds a venv with uv on first use in a cache directory
outside the repository (``$XDG_CACHE_HOME/fedcore/clientenvs/<name>-<hash>``, the hash covering
the requirements and the Python version) and reuses it afterwards; changing a pin builds a new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

CLIENTS: dict[str, tuple[str, ...]] = {
    "flaat": (
        "flaat==1.3.1",
        "aarc-entitlement==1.0.5",
        "pyjwt==2.15.1",
        "requests==2.34.2",
        "requests-cache==1.3.3",
        "fastapi==0.165.0",
        "uvicorn==0.54.0",
    ),
    "keystoneauth1": ("keystoneauth1==5.18.1", "requests==2.34.2"),
    "argo-mon-library": ("argo-mon-library==0.1.0", "requests==2.34.2"),
    "caso": ("caso==5.2.2", "dirq==1.8", "oslo.config==10.7.0", "pydantic==2.14.4"),
    "argo-ams-library": ("argo-ams-library==1.0.0", "requests==2.34.2"),
}
"""Requirements of each client environment, pinned."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fedcore" / "clientenvs"


def uv_command() -> list[str]:
    """uv as ``scripts/lib.sh`` finds it: on the PATH, else as ``python3 -m uv``."""
    found = shutil.which("uv")
    if found:
        return [found]
    for python in (sys.executable, shutil.which("python3")):
        if (
            python
            and subprocess.run([python, "-m", "uv", "--version"], capture_output=True).returncode
            == 0
        ):
            return [python, "-m", "uv"]
    raise RuntimeError("uv not found (neither 'uv' nor 'python3 -m uv'); scripts/test installs it")


def _run(command: list[str]) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")


def client_python(name: str) -> Path:
    """The interpreter of client environment NAME, built on first use."""
    requirements = CLIENTS[name]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    digest = hashlib.sha256("\n".join((version, *requirements)).encode()).hexdigest()[:12]
    root = cache_root()
    target = root / f"{name}-{digest}"
    python = target / "bin" / "python"
    if python.exists():
        return python
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{name}-{digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists():  # built by a concurrent test process while this one waited
            return python
        building = root / f"{name}-{digest}.building"
        shutil.rmtree(building, ignore_errors=True)
        uv = uv_command()
        _run([*uv, "venv", "--quiet", "--relocatable", "--python", version, str(building)])
        python_option = ["--python", str(building / "bin" / "python")]
        _run([*uv, "pip", "install", "--quiet", *python_option, *requirements])
        building.rename(target)
    return python
