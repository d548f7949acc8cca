"""The command asks Polars' allocator to give freed memory back promptly (senrun/allocator.py,
docs/decisions.md 36): it sets the variable before Polars is imported, keeps a value the user
set, and the Polars installed still reads it — memory freed is given back within half a
second, where by default it is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from senrun import allocator

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the allocator is tuned on Linux only")

#: Frees ≈250 MB of Polars' strings in chunks (below jemalloc's size for memory of its own), then
#: prints the memory in use before, while held, and once no more than a quarter of it is left or
#: WAIT seconds have passed (MB), looking every 20 ms.
FREED = """
import time
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:"))
import polars as pl
start = rss()
frames = [pl.select(pl.int_range(i, i + 200_000).cast(pl.String).alias("s")) for i in range(0, 16_000_000, 200_000)]
held = rss()
del frames
until = time.monotonic() + WAIT
while time.monotonic() < until and rss() - start >= (held - start) / 4:
    time.sleep(0.02)
print(start, held, rss())
"""


def memory_after_freeing(variable: str | None, wait: float) -> tuple[int, int, int]:
    env = {k: v for k, v in os.environ.items() if k != allocator.VARIABLE}
    if variable is not None:
        env[allocator.VARIABLE] = variable
    out = subprocess.run([sys.executable, "-c", f"WAIT = {wait}\n" + FREED], env=env, capture_output=True, text=True, check=True)
    start, held, after = map(int, out.stdout.split())
    assert held - start > 150, "the frames were not large enough to tell"
    return start, held, after


def test_polars_gives_freed_memory_back_promptly_with_the_commands_options():
    # 0.1 s of decay; up to 3 s allowed so that a machine busy with other work does not fail it (the
    # default keeps freed memory 10 s, so the two are still told apart)
    start, held, after = memory_after_freeing(allocator.OPTIONS, wait=3.0)
    assert after - start < (held - start) / 4


def test_by_default_polars_keeps_the_memory_it_freed_for_longer():
    # three quarters of it still held after 0.5 s on a quiet machine, under half beside a busy test suite: more
    # than the quarter the command's options leave within 3 s (the test above) either way
    start, held, after = memory_after_freeing("", wait=0.5)
    assert after - start > (held - start) / 4


def test_the_command_sets_the_options_before_polars_is_imported_and_keeps_the_users_own():
    show = ("import os, sys; import senrun.cli; "
            "print(os.environ.get('_RJEM_MALLOC_CONF'), 'polars' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != allocator.VARIABLE}
    out = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [allocator.OPTIONS, "False"]
    env[allocator.VARIABLE] = "dirty_decay_ms:5000"
    out = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["dirty_decay_ms:5000", "False"]


def test_too_late_once_polars_is_imported(monkeypatch):
    import polars  # noqa: F401

    monkeypatch.delenv(allocator.VARIABLE, raising=False)
    assert allocator.tune() is False
    assert allocator.VARIABLE not in os.environ
