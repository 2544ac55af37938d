"""Analyse many articles over the machine's cores, with the same results as one by one.

A process pool (summarizers are CPU-bound Python: threads would share one core) fed a few
chunks at a time, so memory stays bounded however many articles wait. Small inputs run in
this process: starting workers costs more than it saves.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from digest.model import Article, DigestEntry

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from digest.analysis.analyzer import AnalysisSettings, Analyzer

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Progress callback: (articles done, articles to do).
Progress = Callable[[int, int], None]

# Below this many articles the pool is not worth starting (a worker costs ~0.1 s to fork).
SERIAL_BELOW = 48
# Below this many items map_parallel's per-article steps (a millisecond or less each) are not
# worth a pool either: forking and sending the results back cost more than they save.
MAP_SERIAL_BELOW = 512
# Articles per task: big enough to amortise the round trip, small enough to spread the load.
MAX_CHUNK = 32
# Tasks queued per worker at a time: keeps workers busy without pickling everything at once.
IN_FLIGHT_PER_WORKER = 2
# A progress bar only for builds that take a while.
PROGRESS_MIN_ARTICLES = 100


def worker_count(requested: int = 0) -> int:
    """Workers to use: one per core this process may run on, or fewer if requested.

    Never more than the cores: summarizing is bound by them, so more processes only add
    memory and start-up time (`workers: 10000` started 155 processes on 2 cores).
    """
    if multiprocessing.current_process().daemon:
        return 1  # a daemonic process (a Background's) may not start processes of its own
    if hasattr(os, "sched_getaffinity"):
        cores = max(1, len(os.sched_getaffinity(0)))
    else:
        cores = max(1, os.cpu_count() or 1)
    return min(requested, cores) if requested > 0 else cores


def analyze_serially(
    articles: Sequence[Article],
    settings: AnalysisSettings,
    progress: Progress | None = None,
) -> list[DigestEntry]:
    from digest.analysis.analyzer import Analyzer

    analyzer = Analyzer(settings)
    entries = []
    for done, article in enumerate(articles, start=1):
        entries.append(analyzer.analyze(article))
        if progress is not None:
            progress(done, len(articles))
    return entries


def analyze_parallel(
    articles: Sequence[Article],
    settings: AnalysisSettings,
    workers: int = 0,
    progress: Progress | None = None,
    *,
    serial_below: int = SERIAL_BELOW,
) -> list[DigestEntry]:
    """Every article's entry, in the order given; identical to analysing them one by one."""
    if not articles:
        return []
    count = min(worker_count(workers), math.ceil(len(articles) / 2) or 1)
    if count <= 1 or len(articles) < serial_below:
        return analyze_serially(articles, settings, progress)
    from digest.analysis.analyzer import Analyzer

    # Load the models here first: a bad setting fails once, with a clear message, and forked
    # workers inherit the imports instead of repeating them.
    Analyzer(settings)
    try:
        return _in_pool(_analyze_chunk, articles, count, progress, _start_analyzer, (settings,))
    except (BrokenProcessPool, OSError) as error:
        # No processes on this system (a sandbox, no /dev/shm): the same work, one core.
        log.warning("digest: parallel summarizing failed (%s); continuing in one process", error)
        return analyze_serially(articles, settings, progress)


def map_parallel(
    function: Callable[[T], R],
    items: Sequence[T],
    workers: int = 0,
    *,
    serial_below: int = MAP_SERIAL_BELOW,
) -> list[R]:
    """function(item) for every item, in order, over the machine's cores: the same list as
    ``[function(item) for item in items]``.

    For the per-article steps of whole-corpus work (what an article gives a learned topic
    vocabulary, its story terms). function must pickle (a module-level function, or a frozen
    dataclass of plain values whose ``__call__`` does the work) and depend on its item alone.
    """
    count = min(worker_count(workers), math.ceil(len(items) / 2) or 1)
    if count <= 1 or len(items) < serial_below or not _pickles(function):
        return [function(item) for item in items]
    try:
        return _in_pool(partial(_each, function), items, count, None)
    except (BrokenProcessPool, OSError) as error:
        log.warning("digest: parallel work failed (%s); continuing in one process", error)
        return [function(item) for item in items]


def _pickles(function: Callable[..., Any]) -> bool:
    # A closure (a test's stand-in, say) cannot be sent to a worker: it runs here instead.
    try:
        pickle.dumps(function)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _each(function: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [function(item) for item in chunk]


def _in_pool(
    run_chunk: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    workers: int,
    progress: Progress | None,
    setup: Callable[..., None] | None = None,
    setup_args: tuple[Any, ...] = (),
) -> list[R]:
    """run_chunk over chunks of items in a pool of workers (each first runs setup), in order."""
    size = max(1, min(MAX_CHUNK, math.ceil(len(items) / (workers * 4))))
    chunks = [tuple(items[i : i + size]) for i in range(0, len(items), size)]
    results: list[list[R] | None] = [None] * len(chunks)
    pending: dict[Future[list[R]], int] = {}
    done = 0
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_start_worker,
        initargs=(os.getpid(), setup, setup_args),
    ) as pool:
        queue = iter(enumerate(chunks))
        while True:
            while len(pending) < workers * IN_FLIGHT_PER_WORKER:
                try:
                    index, chunk = next(queue)
                except StopIteration:
                    break
                pending[pool.submit(run_chunk, chunk)] = index
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                results[index] = future.result()
                done += len(chunks[index])
                if progress is not None:
                    progress(done, len(items))
    return [result for chunk_results in results if chunk_results for result in chunk_results]


def _context() -> multiprocessing.context.BaseContext:
    # fork is fast (workers inherit the loaded models) but unsafe once threads run, as under
    # `mkdocs serve`; spawn starts clean interpreters there.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


_worker_analyzer: Analyzer | None = None


def exit_with_parent(parent: int) -> None:
    """End this process when `parent` ends, however it ends.

    A build killed with SIGKILL runs no cleanup: its workers would go on summarizing their
    chunks and linger. On Linux the kernel sends them SIGTERM when the build dies.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


class Background(Generic[R]):
    """function(*args) worked out in a forked process while this one goes on; result() waits
    for it. Where forking is not safe (threads run, as under `mkdocs serve`) or fails, and when
    the function fails there, result() works it out here instead (its error raised here).

    function and its result must pickle; args are inherited (fork), not sent.
    """

    def __init__(self, function: Callable[..., R], *args: Any) -> None:
        self.function, self.args = function, args
        self._process: multiprocessing.process.BaseProcess | None = None
        self._receive: Any = None
        if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
            return
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_send_result, args=(send, os.getpid(), function, args), daemon=True
        )
        try:
            process.start()
        except OSError as error:
            log.debug("digest: no process for %s (%s): done in this one", function, error)
            receive.close()
        else:
            self._process, self._receive = process, receive
        send.close()

    def result(self) -> R:
        if self._process is not None:
            try:
                done, value = self._receive.recv()
            except (EOFError, OSError):  # the process died
                done, value = False, None
            finally:
                self._receive.close()
                self._process.join()
                self._process = None
            if done:
                self.args = ()  # inherited by the process: let go of them here
                return cast(R, value)
        return self.function(*self.args)


def _send_result(
    send: Any, parent: int, function: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    exit_with_parent(parent)
    _limit_blas()
    # What the process inherited lives as long as it does: out of the collector's way, whose
    # full collections would walk it all (and copy every page of it, touching each object).
    gc.freeze()
    try:
        outcome = (True, function(*args))
    except Exception:  # worked out again by the parent, which raises it there
        outcome = (False, None)
    try:
        send.send(outcome)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        send.send((False, None))
    finally:
        send.close()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's linear algebra (BLAS) on one thread meanwhile.

    The build spreads its work over processes of its own (a core each): BLAS's threads could
    only contend with them, and on a busy machine the spinning threads made the topic
    suggestions' SVD ten times slower. One thread also sums in the same order on every machine.
    """
    import numpy  # noqa: F401  (loads the BLAS library: threadpoolctl limits what is loaded)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _start_worker(
    parent: int, setup: Callable[..., None] | None, setup_args: tuple[Any, ...]
) -> None:
    exit_with_parent(parent)
    _limit_blas()
    if setup is not None:
        setup(*setup_args)


def _limit_blas() -> None:
    # A worker is one core's share (see one_blas_thread); a spawned one has no BLAS loaded yet.
    import numpy  # noqa: F401
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _start_analyzer(settings: AnalysisSettings) -> None:
    from digest.analysis.analyzer import Analyzer

    global _worker_analyzer
    _worker_analyzer = Analyzer(settings)


def _analyze_chunk(chunk: Sequence[Article]) -> list[DigestEntry]:
    assert _worker_analyzer is not None, "worker started without its analyzer"
    return [_worker_analyzer.analyze(article) for article in chunk]


class _Bar:
    """Draws a rich progress bar on stderr, started once there is enough to do."""

    def __init__(self, description: str, min_total: int) -> None:
        self.description = description
        self.min_total = min_total
        self.bar: RichProgress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if total < self.min_total:
            return
        if self.bar is None or self.task is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total)
        self.bar.update(self.task, completed=done, total=total)
        if done >= total:
            # Drawn to the end: its refresh thread stops, so the build's later worker pools
            # may fork (a running thread makes them spawn, which is slower).
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar, self.task = None, None


@contextmanager
def progress_bar(
    description: str = "Summarizing", min_total: int = PROGRESS_MIN_ARTICLES
) -> Iterator[Progress]:
    """A progress callback drawing a bar on stderr, for runs of at least min_total articles."""
    bar = _Bar(description, min_total)
    try:
        yield bar
    finally:
        bar.close()


class Lookahead(Generic[T, R]):
    """function(key) for keys in the order they will be asked for, worked out in forked
    workers a few chunks ahead of the asking: take(key) gives a key's result, waiting for its
    chunk if need be. For work a single-threaded host does one item at a time (an engine
    converting its pages): the workers use the cores it leaves idle meanwhile.

    function is inherited by the workers (fork), so it need not pickle; keys and results
    must. take() gives None, and the caller works the key out itself, for a key not among
    them, whose work failed or said anything (logged: said where it is told, in the build),
    or when nothing was started: forking is not safe (threads run) or too few keys wait
    (MAP_SERIAL_BELOW). At most `ahead` chunks of results are held, so memory stays bounded
    however many keys there are. done() is called once every key is taken (not when closed
    before that).
    """

    def __init__(
        self,
        function: Callable[[T], R | None],
        keys: Sequence[T],
        workers: int = 0,
        *,
        chunk: int = MAX_CHUNK,
        serial_below: int | None = None,
        done: Callable[[], None] | None = None,
    ) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._done = done
        self._chunks = _growing_chunks(keys, chunk)
        self._chunk_of = {key: index for index, part in enumerate(self._chunks) for key in part}
        self._futures: dict[int, Future[list[R | None]]] = {}
        self._taken: set[int] = set()  # chunks whose every key was taken
        self._next = 0
        count = worker_count(workers)
        self._ahead = count * IN_FLIGHT_PER_WORKER
        forkable = "fork" in multiprocessing.get_all_start_methods()
        few = len(keys) < (MAP_SERIAL_BELOW if serial_below is None else serial_below)
        if count <= 1 or few or not forkable or threading.active_count() > 1:
            return
        global _lookahead_function
        _lookahead_function = function
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=count,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_lookahead_worker,
                initargs=(os.getpid(),),
            )
            self._fill(0)  # the workers are forked here, with the function, before any thread
        except OSError as error:
            log.debug("digest: no worker processes (%s): worked out one by one", error)
            self.close()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def take(self, key: T) -> R | None:
        """key's result (None: work it out yourself)."""
        index = self._chunk_of.pop(key, None)
        if self._pool is None or index is None:
            return None
        self._fill(index)
        try:
            results = self._futures[index].result()
        except Exception as error:  # a worker died: this chunk is worked out by the caller
            log.debug("digest: a worker failed (%s): worked out here", error)
            results = [None] * len(self._chunks[index])
        if not any(k in self._chunk_of for k in self._chunks[index]):
            del self._futures[index]  # every key of it taken
            self._taken.add(index)
        if not self._chunk_of:
            self.close()
            if self._done is not None:
                self._done()
        return results[self._chunks[index].index(key)]

    def _fill(self, asked: int) -> None:
        """The chunk asked for submitted, and those up to `ahead` past it (a host asking out
        of order skips chunks: each is submitted when one of its keys is asked for)."""
        assert self._pool is not None
        if asked not in self._futures and asked not in self._taken:
            self._submit(asked)
        self._next = max(self._next, asked + 1)
        last = min(len(self._chunks), asked + self._ahead)
        while self._next < last:
            self._submit(self._next)
            self._next += 1

    def _submit(self, index: int) -> None:
        assert self._pool is not None
        if index not in self._futures:
            self._futures[index] = self._pool.submit(_lookahead_chunk, self._chunks[index])

    def close(self) -> None:
        global _lookahead_function
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            _lookahead_function = None
        self._futures.clear()


_lookahead_function: Callable[[Any], Any] | None = None


def _growing_chunks(keys: Sequence[T], largest: int) -> list[tuple[T, ...]]:
    """keys in chunks of 4, 8, ... up to `largest`: the host waits for the first chunk only
    as long as a few keys take, and the later ones go in fewer round trips."""
    chunks, start, size = [], 0, min(4, largest)
    while start < len(keys):
        chunks.append(tuple(keys[start : start + size]))
        start += size
        size = min(size * 2, largest)
    return chunks


class _Heard(logging.Handler):
    """Counts what a worker's function logs (it is told again where the key is worked out)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


_heard = _Heard()


def _start_lookahead_worker(parent: int) -> None:
    exit_with_parent(parent)  # (no BLAS to limit: the host's steps do not use numpy)
    # Every handler the worker inherited (the terminal, MkDocs' strict-mode counter) gives
    # way to the counter: nothing a worker logs is shown, or counted, twice.
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        if isinstance(logger, logging.Logger) and logger.handlers:
            logger.handlers = [_heard]
    logging.lastResort = _heard


def _lookahead_chunk(chunk: Sequence[Any]) -> list[Any]:
    function = _lookahead_function
    assert function is not None, "a Lookahead worker forked without its function"
    results = []
    for key in chunk:
        said = _heard.count
        try:
            result = function(key)
        except Exception:  # worked out again by the caller, which tells the error
            result = None
        results.append(result if _heard.count == said else None)
    return results
