"""ui/serve.py: what `sourcebook serve` loads before it reports ready."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter: which modules the app's first run still has to import can only be
# seen from an empty sys.modules.
PROBE = """
import json, sys
from ui.serve import import_app_modules, warm_up
warm_up()  # as serve does: the engine opened and asked once
import_app_modules()
before = set(sys.modules)
from streamlit.testing.v1 import AppTest
import streamlit.testing.v1.app_test  # AppTest's own machinery is not the app's
harness = set(sys.modules)
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.query_params["q"] = "What is the security dilemma?"
at.run()
assert not at.exception, at.exception
print(json.dumps(sorted(set(sys.modules) - harness - before)))
"""


@pytest.mark.slow  # a fresh interpreter loads the model and runs the app: ~25 s
def test_the_apps_first_run_finds_its_heavy_modules_imported(app_index: Path) -> None:
    """Everything of ours and Streamlit's emoji table are imported by serve before it is healthy:
    only ui.pages_common, which calls Streamlit when imported, is left to the first visitor."""
    env = dict(os.environ, SOURCEBOOK_INDEX=str(app_index), SOURCEBOOK_READ_ONLY="1")
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "ui" / "app.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    ours = [m for m in imported if m.split(".")[0] in {"index", "ingest", "ui"}]
    assert ours == ["ui.pages_common"], ours  # the script itself runs as __main__
    assert "streamlit.emojis" not in imported
