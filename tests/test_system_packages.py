"""`make test` installs what pip cannot (.ci/system-packages): chromium for the browser tier.

The real script runs with PATH narrowed to a directory of links to real tools, so that chromium
(or apt-get) is absent as on a fresh machine; the non-root case drops to user ``nobody`` with
``setpriv`` when the suite runs as root. The root install itself runs in `make test` on a machine
without chromium (it did on this machine kind: see the README)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / ".ci/system-packages"
BASH = shutil.which("bash")


@pytest.fixture
def bin_dir():
    """An empty PATH directory that user ``nobody`` can read (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="system-packages-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)
    Path(f"{path}.system-packages").unlink(missing_ok=True)


def _tools(bin_dir: Path, *names: str, chromium: bool = False) -> Path:
    """``bin_dir`` holding links to the real ``names`` (and, if asked, a ``chromium``)."""
    for name in names:
        (bin_dir / name).symlink_to(shutil.which(name))
    if chromium:  # the script only asks whether the command exists
        (bin_dir / "chromium").symlink_to(shutil.which("true"))
    return bin_dir


def _run(bin_dir: Path, as_user: bool = False) -> subprocess.CompletedProcess:
    command = [BASH, str(SCRIPT)]
    if as_user and os.geteuid() == 0:
        # A copy user nobody can read: the clone's own directories may not be traversable by other users
        # (a checkout under a 0700 `mktemp -d`), which is not what the test is about.
        script = bin_dir.parent / f"{bin_dir.name}.system-packages"
        shutil.copyfile(SCRIPT, script)
        script.chmod(0o755)
        command = [shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", BASH, str(script)]
    return subprocess.run(command, env={"PATH": str(bin_dir)}, capture_output=True, text=True,
                          timeout=60, cwd="/")


def test_nothing_to_do_when_chromium_is_there(bin_dir):
    proc = _run(_tools(bin_dir, "id", chromium=True))
    assert proc.returncode == 0 and proc.stdout == proc.stderr == ""


def test_without_root_it_stops_before_the_tests_with_the_command(bin_dir):
    proc = _run(_tools(bin_dir, "id", "apt-get"), as_user=True)
    assert proc.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" in proc.stderr
    assert "make test-fast" in proc.stderr and "installing" not in proc.stderr


def test_without_apt_get_it_names_the_package_to_install(bin_dir):
    proc = _run(_tools(bin_dir, "id"))
    assert proc.returncode == 1
    assert "no apt-get" in proc.stderr and "chromium" in proc.stderr


@pytest.mark.parametrize("target", ["test", "test-fast"])
def test_make_targets_exist_and_only_test_needs_the_system_packages(target):
    proc = subprocess.run(["make", "-n", target], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (".ci/system-packages" in proc.stdout) == (target == "test")
    assert "pytest" in proc.stdout
