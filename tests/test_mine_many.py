"""`repairbot mine` over several repositories, on the local engine and on Dask (a real LocalCluster)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from repairbot.abstraction.antiunify import rename_holes
from repairbot.abstraction.cluster import pattern_id
from repairbot.cli import main
from repairbot.mining.engine import DaskEngine, LocalEngine, TaskFailed
from repairbot.mining.many import CollectTask, RepoSpec, collect_task, mine_many, named, parse_repos_file
from repairbot.mining.miner import mine
from repairbot.pattern import store
from repairbot.pattern.verify import problems
from repairbot.tree import render

NAMES = ("geometry", "inventory", "textkit")


@pytest.fixture(scope="module")
def local_out(repos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("many") / "local.json"
    assert main(["mine", *(str(repos[n]) for n in NAMES), "--jobs", "2", "--out", str(out),
                 "--format", "json"]) == 0
    return out


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as c:
        yield c


def test_several_repositories_give_one_pattern_set(local_out: Path) -> None:
    pats = store.load(local_out)
    assert pats and all(not problems(p) for p in pats)
    repos = {r for p in pats for r in p.commit_repos}
    assert repos == set(NAMES)
    cross = [p for p in pats if p.projects >= 2]
    assert cross, "the fixture histories share fix shapes (e.g. < -> <=) across projects"
    for p in cross:
        assert len(p.commit_repos) == len(p.commits)
        # examples come from two different repositories and name theirs
        assert len({ex.repo for ex in p.examples}) == 2
    doc = json.loads(local_out.read_text())
    assert [r["name"] for r in doc["source"]["repositories"]] == list(NAMES)


def test_min_projects_keeps_only_cross_project_patterns(repos: dict[str, Path], local_out: Path) -> None:
    specs = [RepoSpec(str(repos[n])) for n in NAMES]
    many = mine_many(specs, LocalEngine(1), min_projects=2)
    assert many.result.patterns
    assert all(p.projects >= 2 for p in many.result.patterns)
    assert {p.id for p in many.result.patterns} <= {p.id for p in store.load(local_out)}
    assert [r.name for r in many.repos] == list(NAMES)
    assert many.result.commits_seen == sum(r.commits_seen for r in many.repos)
    assert any(s.reason == "pattern_in_too_few_projects" for s in many.result.skips)


def test_one_repository_is_what_mine_gives(repos: dict[str, Path]) -> None:
    """Single-repository output keeps its old shape: no repository tags, the same patterns."""
    path = str(repos["inventory"])
    alone = mine(path, jobs=1)
    many = mine_many([RepoSpec(path)], LocalEngine(1))
    assert store.dumps(many.result.patterns) == store.dumps(alone.patterns)
    assert all(not p.commit_repos and all(not ex.repo for ex in p.examples) for p in many.result.patterns)


def test_repos_file_is_the_same_as_positional(repos: dict[str, Path], local_out: Path, tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    lines = ["# fixture repositories", ""]
    for n in NAMES:
        rel = os.path.relpath(repos[n], tmp_path)  # relative paths are from the file's folder
        lines.append(f"{rel} HEAD  # all history")
    listing.write_text("\n".join(lines) + "\n")
    specs = parse_repos_file(listing)
    assert [s.rev_range for s in specs] == ["HEAD"] * 3
    out = tmp_path / "from-file.json"
    assert main(["mine", "--repos-file", str(listing), "--jobs", "2", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["patterns"] == json.loads(local_out.read_text())["patterns"]


def test_dask_gives_the_identical_pattern_set(repos: dict[str, Path], local_out: Path, tmp_path: Path,
                                              cluster) -> None:
    out = tmp_path / "dask.json"
    assert main(["mine", *(str(repos[n]) for n in NAMES), "--engine", "dask", "--scheduler",
                 cluster.scheduler_address, "--out", str(out)]) == 0
    local = json.loads(local_out.read_text())
    remote = json.loads(out.read_text())
    assert remote["patterns"] == local["patterns"]
    assert store.dumps(store.load(out)) == store.dumps(store.load(local_out))


def test_dask_local_cluster_from_the_cli(repos: dict[str, Path], local_out: Path, tmp_path: Path) -> None:
    """Without --scheduler the CLI starts (and stops) a LocalCluster with --jobs workers."""
    pytest.importorskip("distributed")
    out = tmp_path / "dask-own.json"
    assert main(["mine", *(str(repos[n]) for n in NAMES), "--engine", "dask", "--jobs", "2",
                 "--out", str(out)]) == 0
    assert json.loads(out.read_text())["patterns"] == json.loads(local_out.read_text())["patterns"]


def test_a_task_that_fails_once_is_retried(repos: dict[str, Path], tmp_path: Path, cluster) -> None:
    marker = tmp_path / "failed-once"

    def flaky(task: CollectTask, jobs: int = 1):  # pickled by value: a closure
        if not os.path.exists(marker):
            open(marker, "w").close()
            raise OSError("transient failure")
        return collect_task(task, jobs)

    specs = named([RepoSpec(str(repos[n])) for n in NAMES])
    tasks = [CollectTask(s, False, True) for s in specs]
    engine = DaskEngine(cluster.scheduler_address, retries=1)
    with engine:
        got = engine.map(flaky, tasks, [s.name for s in specs])
    assert marker.exists()
    want = LocalEngine(1).map(collect_task, tasks, [s.name for s in specs])
    assert [(c.fix_commits, len(c.edits)) for c in got] == [(c.fix_commits, len(c.edits)) for c in want]
    assert [e.example_after for c in got for e in c.edits] == [e.example_after for c in want for e in c.edits]


def test_a_task_whose_worker_dies_is_rescheduled(repos: dict[str, Path], tmp_path: Path, cluster) -> None:
    marker = tmp_path / "died-once"

    def dies_once(task: CollectTask, jobs: int = 1):
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)  # the worker process dies; its nanny starts a new one
        return collect_task(task, jobs)

    spec = named([RepoSpec(str(repos["textkit"]))])[0]
    engine = DaskEngine(cluster.scheduler_address, retries=0)
    with engine:
        (got,) = engine.map(dies_once, [CollectTask(spec, False, False)], [spec.name])
    assert marker.exists() and got.fix_commits > 0 and got.edits


def test_a_task_that_keeps_failing_is_one_line(tmp_path: Path, cluster, repos: dict[str, Path]) -> None:
    def always(task: CollectTask, jobs: int = 1):
        raise ValueError("broken\nsecond line")

    spec = named([RepoSpec(str(repos["textkit"]))])[0]
    with DaskEngine(cluster.scheduler_address, retries=1) as engine, pytest.raises(TaskFailed) as e:
        engine.map(always, [CollectTask(spec, False, False)], [spec.name])
    assert str(e.value) == "textkit: task failed after 1 retries: ValueError: broken"


def test_bad_repository_in_the_list_is_exit_2(repos: dict[str, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{repos['textkit']}\n{tmp_path / 'nowhere'}\n")
    assert main(["mine", "--repos-file", str(listing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere" in err and "no such directory" in err

    assert main(["mine", str(repos["textkit"]), "--rev-range", "nosuchrev"]) == 2
    assert "unknown revision 'nosuchrev'" in capsys.readouterr().err

    listing.write_text(f"{repos['textkit']} HEAD extra\n")
    assert main(["mine", "--repos-file", str(listing)]) == 2
    assert "expected `path [rev-range]`" in capsys.readouterr().err

    assert main(["mine", "--repos-file", str(tmp_path / "missing.txt")]) == 2
    assert main(["mine"]) == 2
    assert main(["mine", str(repos["textkit"]), "--scheduler", "tcp://127.0.0.1:1"]) == 2
    capsys.readouterr()
    assert main(["mine", str(repos["textkit"]), str(repos["textkit"])]) == 2
    assert "both named 'textkit'" in capsys.readouterr().err


def test_ids_are_the_same_up_to_hole_names(local_out: Path) -> None:
    """Renaming a pattern's holes and canonicalising again gives back its id (so equal patterns merge)."""
    from repairbot.tree import parse_template

    checked = 0
    for p in store.load(local_out):
        if len(p.holes) < 2:
            continue
        perm = {h: p.holes[(i + 1) % len(p.holes)] for i, h in enumerate(p.holes)}

        def swap(s: str, perm: dict[str, str] = perm) -> str:
            return re.sub(r"\{(h\d+)\}", lambda m: "{" + perm[m.group(1)] + "}", s)

        kind = p.kind.value
        b, a = parse_template(swap(p.before), kind), parse_template(swap(p.after), kind)
        assert swap(p.before) != p.before
        cb, ca = rename_holes([b, a])
        assert pattern_id(p.kind, render(cb), render(ca), p.context, p.at_block_end) == p.id
        checked += 1
    assert checked


def test_history_git_cannot_read_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A partial snapshot (a blob missing from the object store) is an input error, not a traceback."""
    from conftest import partial_clone

    repo = tmp_path / "partial"
    blob = partial_clone(repo, ["def f(a, b):\n    return a < b\n", "def f(a, b):\n    return a <= b\n"])
    assert main(["mine", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "partial: git cannot read its history: fatal:" in err and blob in err
    # the library function (the accuracy benchmark and the app call it) raises the same input error
    from repairbot.mining.history import RepoError
    from repairbot.mining.miner import mine
    with pytest.raises(RepoError, match="git cannot read its history: fatal:"):
        mine(str(repo))
