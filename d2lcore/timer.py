"""Wall-clock timing of repeated runs."""
import time


class Timer:
    """Record several running times.

    `Timer()` starts at once, like the book's. Use start()/stop(), or `with Timer() as t:`.
    Times are seconds (float) from `time.perf_counter`, the highest-resolution clock.
    On a GPU, call `torch.cuda.synchronize()` before stop(): kernels run asynchronously.
    """

    def __init__(self):
        self.times = []
        self._tik = None
        self.start()

    def start(self):
        """Start (or restart) the clock."""
        self._tik = time.perf_counter()

    def stop(self):
        """Stop the clock, record the elapsed time and return it (seconds)."""
        if self._tik is None:
            raise RuntimeError("Timer.stop() called without a running start(); call start() first")
        self.times.append(time.perf_counter() - self._tik)
        self._tik = None
        return self.times[-1]

    def avg(self):
        """Mean of the recorded times."""
        if not self.times:
            raise RuntimeError("Timer.avg() needs at least one recorded time; call start() and stop() first")
        return sum(self.times) / len(self.times)

    def sum(self):
        """Total of the recorded times (0.0 if none)."""
        return float(sum(self.times))

    def cumsum(self):
        """Running totals of the recorded times, as a list."""
        out, total = [], 0.0
        for t in self.times:
            total += t
            out.append(total)
        return out

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
