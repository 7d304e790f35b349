"""The samples folder watched by a real daemon: edits, new files, deletions, the folder itself."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from inkmod_daemon_testlib import FORMAL, Recorder, wait_for
from testpaths import EXAMPLES

from inkmod.rpc import protocol as P
from inkmod.rpc.client import DaemonClient
from inkmod.rpc.instance import DaemonPaths

pytestmark = pytest.mark.slow


@pytest.fixture
def watched(client: DaemonClient, recorder: Recorder) -> DaemonClient:
    client.profile_get()  # profile open and watcher running
    client.on(P.PROFILE_CHANGED, recorder)
    assert client.subscribe([P.TOPIC_PROFILE]) == [P.TOPIC_PROFILE]
    return client


def test_editing_a_sample_updates_the_profile_and_the_score(
    watched: DaemonClient, samples: Path, recorder: Recorder
) -> None:
    before = watched.analyze(FORMAL)
    target = samples / "03-saturday-market.md"
    with target.open("a") as handle:
        handle.write(("\n\n" + FORMAL) * 12)
    note = recorder.wait_for(lambda p: "03-saturday-market.md" in p.get("changed", []))
    assert note["event"] == "updated"
    assert note["revision"] > before["revision"]
    assert note["documents"] == 6
    assert note["samples_status"] == "ok"
    after = watched.analyze(FORMAL)
    assert after["revision"] >= note["revision"]
    assert after["reports"][0]["score"] < before["reports"][0]["score"]
    # The calibration and the file on disk catch up once the folder is quiet.
    settled = recorder.wait_for(lambda p: p.get("event") == "recalibrated", timeout=5)
    assert settled["revision"] > note["revision"]
    assert watched.analyze(FORMAL)["revision"] == settled["revision"]


def test_new_and_deleted_files(watched: DaemonClient, samples: Path, recorder: Recorder) -> None:
    (samples / "sub").mkdir()
    (samples / "sub" / "07-new.md").write_text(FORMAL * 3)
    recorder.wait_for(lambda p: "sub/07-new.md" in p.get("changed", []))
    assert len(watched.profile_get()["documents"]) == 7
    (samples / "01-first-tomato.md").unlink()
    note = recorder.wait_for(lambda p: "01-first-tomato.md" in p.get("removed", []))
    assert note["documents"] == 6
    shutil.rmtree(samples / "sub")
    note = recorder.wait_for(lambda p: "sub/07-new.md" in p.get("removed", []))
    assert note["documents"] == 5


def test_atomic_save_by_rename(watched: DaemonClient, samples: Path, recorder: Recorder) -> None:
    """How vim/VS Code save: write a temp file, rename it over the original."""
    temp = samples / ".02-sourdough-gus.md.tmp"
    temp.write_text((samples / "02-sourdough-gus.md").read_text() + "\n\n" + FORMAL)
    temp.rename(samples / "02-sourdough-gus.md")
    note = recorder.wait_for(lambda p: "02-sourdough-gus.md" in p.get("changed", []))
    assert not any(".tmp" in doc for doc in note["changed"] + note["removed"])


def test_editor_droppings_are_ignored(
    watched: DaemonClient, samples: Path, recorder: Recorder
) -> None:
    revision = watched.status()["revision"]
    for name in (
        ".04-snow-day-soup.md.swp",
        "04-snow-day-soup.md~",
        "4913",
        "#notes.md#",
        ".hidden.md",
    ):
        (samples / name).write_text(FORMAL)
    time.sleep(1.0)
    assert recorder.items == []
    assert watched.status()["revision"] == revision


def test_deleting_the_samples_folder_is_reported_not_fatal(
    watched: DaemonClient, samples: Path, recorder: Recorder, paths: DaemonPaths
) -> None:
    shutil.rmtree(samples)
    note = recorder.wait_for(lambda p: p.get("event") == "samples_missing")
    assert note["samples_status"] == "missing"
    status = watched.status()
    assert status["samples_status"] == "missing"
    assert status["documents"] == 6, "the profile is kept, not emptied file by file"
    assert watched.analyze(FORMAL)["reports"]
    assert "disappeared" in paths.log.read_text()
    shutil.copytree(EXAMPLES / "samples/maya", samples)
    recorder.wait_for(lambda p: p.get("event") == "samples_restored", timeout=5)
    assert watched.status()["samples_status"] == "ok"


def test_renaming_the_samples_folder_is_reported(
    watched: DaemonClient, samples: Path, recorder: Recorder
) -> None:
    samples.rename(samples.with_name("moved"))
    note = recorder.wait_for(lambda p: p.get("event") == "samples_missing", timeout=5)
    assert note["documents"] == 6
    wait_for(lambda: watched.status()["samples_status"] == "missing")


def test_changes_persist_across_restarts(
    watched: DaemonClient, samples: Path, recorder: Recorder, connect: object
) -> None:
    (samples / "05-goodbye-pruitts.md").unlink()
    recorder.wait_for(lambda p: "05-goodbye-pruitts.md" in p.get("removed", []))
    watched.shutdown()
    (samples / "06-planting-garlic.md").unlink()  # while no daemon runs
    again = connect()  # type: ignore[operator]
    info = again.profile_get()
    assert len(info["documents"]) == 4
