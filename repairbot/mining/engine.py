"""Where per-repository mining tasks run: this machine's processes, or a Dask cluster.

An engine maps a module-level task `fn(item, jobs=...)` over items and returns the results in
the items' order, so whatever runs the tasks, the merge sees the same input. `jobs` is how many
processes one task may use itself: the local engine runs one repository at a time with a pool of
`jobs` commit workers; a Dask task runs in a (daemonic) worker process, which may not fork, so
its tasks get `jobs=1` and the parallelism comes from the cluster's workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from repairbot.mining.history import RepoError

T = TypeVar("T")
R = TypeVar("R")
Done = Callable[[int, int], None]  # (tasks done, total)


class TaskFailed(RepoError):
    """A task still failed after its retries (shown as one line, exit 2)."""


class Engine(Protocol):
    name: str

    def map(self, fn: Callable[..., R], items: Sequence[T], labels: Sequence[str],
            done: Done | None = None) -> list[R]: ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...


class LocalEngine:
    """One task after another in this process; each task uses `jobs` worker processes."""

    name = "local"

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = jobs

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Callable[..., R], items: Sequence[T], labels: Sequence[str],
            done: Done | None = None) -> list[R]:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item, jobs=self.jobs))
            if done:
                done(i + 1, len(items))
        return out


class DaskEngine:
    """Tasks on a Dask cluster: an existing scheduler (`tcp://host:8786`) or a LocalCluster.

    Each task is submitted with `retries`: a task that raises is run again, and a task whose
    worker dies is rescheduled by the scheduler (up to its `allowed-failures`). The workers must
    be able to import repairbot and read the repositories at the same paths as this process.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int = 2, retries: int = 2) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.retries = retries
        self.client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskEngine:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RepoError("--engine dask needs dask.distributed: pip install 'repairbot[dask]'") from None
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as e:
                raise RepoError(f"cannot reach the Dask scheduler at {self.scheduler}: {e}") from None
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
        return self

    def __exit__(self, exc_type: type[BaseException] | None = None, exc: BaseException | None = None,
                 tb: TracebackType | None = None) -> None:
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        self.client = self._cluster = None

    def map(self, fn: Callable[..., R], items: Sequence[T], labels: Sequence[str],
            done: Done | None = None) -> list[R]:
        from distributed import as_completed

        assert self.client is not None, "use the engine as a context manager"
        futures = self.client.map(fn, list(items), key=[f"{fn.__name__}-{i}-{lb}" for i, lb in enumerate(labels)],
                                  retries=self.retries, pure=False, jobs=1)
        label_of = {f.key: lb for f, lb in zip(futures, labels)}
        for n, f in enumerate(as_completed(futures), 1):
            if f.status == "error":
                e = f.exception()
                for other in futures:
                    other.cancel()
                raise TaskFailed(f"{label_of[f.key]}: task failed after {self.retries} retries: "
                                 f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            if done:
                done(n, len(futures))
        return [f.result() for f in futures]


def make_engine(name: str, jobs: int = 1, scheduler: str | None = None, retries: int = 2) -> Engine:
    if name == "dask":
        return DaskEngine(scheduler, workers=jobs, retries=retries)
    return LocalEngine(jobs)
