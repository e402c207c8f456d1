"""Stage-by-stage progress of a run, on the terminal."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Prints ``[i/n] stage ...`` when a stage starts and its wall time when it ends.

    Args:
        stages: how many stages the run has (for the ``[i/n]`` counter).
        stream: where to print (default ``sys.stderr``, so tables on stdout stay clean).
        enabled: ``False`` prints nothing (timings are still recorded).

    Attributes:
        timings: stage name -> seconds, in the order the stages ran.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> progress = Progress(2, stream=out)
        >>> with progress.stage("loading"):
        ...     pass
        >>> out.getvalue().startswith("[1/2] loading ...")
        True
        >>> list(progress.timings)
        ['loading']
    """

    def __init__(self, stages: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stages = stages
        self.stream = stream
        self.enabled = enabled
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def _print(self, text: str, end: str = "\n") -> None:
        if self.enabled:
            stream = self.stream if self.stream is not None else sys.stderr
            print(text, end=end, file=stream, flush=True)

    @contextlib.contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        """Time the ``with`` block as stage ``name`` (``detail`` is printed after it)."""
        index = len(self.timings) + 1
        suffix = f" ({detail})" if detail else ""
        self._print(f"[{index}/{self.stages}] {name}{suffix} ...")
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - start
        self._print(f"      done in {self.timings[name]:.1f} s")

    def note(self, text: str) -> None:
        """Print an indented line under the current stage."""
        self._print(f"      {text}")

    @property
    def elapsed(self) -> float:
        """Seconds since the progress was created."""
        return time.perf_counter() - self._start
