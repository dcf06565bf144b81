"""Ring buffers and frame helpers: equal to reference models, safe across threads, flat in memory."""

from __future__ import annotations

import gc
import itertools
import threading
import tracemalloc
from dataclasses import dataclass

import numpy as np
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.media.audio_ring import AudioRing, RingOverrun
from engine.media.frame_ring import FrameRing
from engine.media.frames import (
    DEFAULT_MAX_PIXELS,
    PATCH_PIXELS,
    Frame,
    budget_size,
    downscale_to_budget,
    frames_differ,
)
from engine.media.resample import StreamResampler

# --- AudioRing -------------------------------------------------------------------------------------------

audio_ops = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(0, 90)),
        st.tuples(st.just("range"), st.integers(0, 400), st.integers(0, 60)),
        st.tuples(st.just("since"), st.integers(0, 400)),
        st.tuples(st.just("last"), st.integers(0, 80)),
        st.tuples(st.just("catch_up"), st.integers(0, 400)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 50), ops=audio_ops)
def test_audio_ring_reads_equal_a_reference_model(capacity: int, ops: list[tuple]) -> None:
    ring = AudioRing(seconds=capacity / 1000, sample_rate=1000)
    assert ring.capacity == capacity
    model = np.zeros(0, np.float32)
    counter = 0
    for op in ops:
        written = model.size
        oldest = max(0, written - capacity)
        if op[0] == "write":
            block = np.arange(counter, counter + op[1], dtype=np.float32)
            counter += op[1]
            ring.write(block)
            model = np.concatenate([model, block])
            assert ring.total_written == model.size
            assert ring.oldest == max(0, model.size - capacity)
        elif op[0] == "range":
            start, end = op[1], op[1] + op[2]
            if end > written:
                with pytest.raises(ValueError):
                    ring.read_range(start, end)
            elif start < oldest:
                with pytest.raises(RingOverrun):
                    ring.read_range(start, end)
            else:
                np.testing.assert_array_equal(ring.read_range(start, end), model[start:end])
        elif op[0] == "since":
            first, samples = ring.read_since(op[1])
            assert first == min(max(op[1], oldest), written)
            np.testing.assert_array_equal(samples, model[first:])
        elif op[0] == "last":
            samples = ring.read_last(op[1] / 1000)
            want = model[max(oldest, written - op[1]) :]
            np.testing.assert_array_equal(samples, want)
        else:
            start = min(op[1], written)
            samples, lost = ring.catch_up(start)
            assert lost == max(0, oldest - start)
            assert samples.size == written - start
            np.testing.assert_array_equal(samples[lost:], model[start + lost :])
            assert not samples[:lost].any()


def test_audio_ring_readers_never_see_torn_samples_while_a_writer_races() -> None:
    """Sample n holds the value n (mod 2**20): any torn or stale read shows up as a wrong value."""
    ring = AudioRing(seconds=0.05, sample_rate=16_000)  # 800 samples: the writer laps readers often
    done = threading.Event()
    block = 160

    def writer() -> None:
        values = np.arange(block, dtype=np.int64)
        n = 0
        while not done.is_set():
            ring.write(((values + n) % 2**20).astype(np.float32))
            n += block

    thread = threading.Thread(target=writer)
    thread.start()
    checked = overruns = 0
    try:
        while checked < 3000:
            end = ring.total_written
            start = max(0, end - 700)
            try:
                samples = ring.read_range(start, end)
            except RingOverrun:
                overruns += 1
                continue
            np.testing.assert_array_equal(samples, np.arange(start, end) % 2**20)
            first, since = ring.read_since(start)
            np.testing.assert_array_equal(since, np.arange(first, first + since.size) % 2**20)
            checked += 1
    finally:
        done.set()
        thread.join()
    assert checked == 3000


def test_audio_ring_write_allocates_nothing() -> None:
    ring = AudioRing(seconds=1.0, sample_rate=16_000)
    block = np.ones(160, np.float32)
    for _ in range(200):  # warm up caches
        ring.write(block)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(10_000):
            ring.write(block)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename") if stat.size_diff > 0)
    assert grown < 4096, f"write() kept {grown} bytes"


# --- FrameRing --------------------------------------------------------------------------------------------


def _frame(t: float, source: str = "test") -> Frame:
    return Frame(np.zeros((28, 28, 3), np.uint8), t, source)


def _model_clip(frames: list[Frame], seconds: float, fps: float, now: float) -> list[Frame]:
    if not frames:
        return []
    picked = [frames[-1]]
    for f in reversed(frames):
        if f.timestamp < now - seconds:
            break
        if f.timestamp <= picked[-1].timestamp - 1 / fps + 1e-6:
            picked.append(f)
    return picked[::-1]


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(1, 12),
    max_age=st.floats(0.5, 8.0),
    gaps=st.lists(st.floats(0.0, 1.5), max_size=40),
    window=st.floats(0.0, 6.0),
    fps=st.floats(0.2, 4.0),
)
def test_frame_ring_equals_a_reference_model(
    capacity: int, max_age: float, gaps: list[float], window: float, fps: float
) -> None:
    ring = FrameRing(capacity, max_age)
    model: list[Frame] = []
    t = 100.0
    for gap in gaps:
        t += gap
        frame = _frame(t)
        ring.push(frame)
        model.append(frame)
        model = [f for f in model[-capacity:] if f.timestamp >= t - max_age]
        assert len(ring) == len(model)
        assert ring.latest() is model[-1]
    now = t + 0.25
    assert ring.since(t - window) == [f for f in model if f.timestamp > t - window]
    assert ring.last(window, now=now) == [f for f in model if now - window <= f.timestamp <= now]
    assert ring.clip(window, fps, now=now) == _model_clip(model, window, fps, now)
    clip = ring.clip(window, fps, now=now)
    assert all(b.timestamp - a.timestamp >= 1 / fps - 1e-6 for a, b in itertools.pairwise(clip))
    ring.clear()
    assert len(ring) == 0 and ring.latest() is None and ring.clip(1.0, 1.0) == []


def test_frame_ring_rejects_time_going_backwards() -> None:
    ring = FrameRing(4, 10.0)
    ring.push(_frame(5.0))
    with pytest.raises(ValueError):
        ring.push(_frame(4.0))


def test_frame_ring_is_safe_with_concurrent_pushers_and_readers() -> None:
    ring = FrameRing(8, 1000.0)
    lock = threading.Lock()
    clock = [0.0]
    errors: list[BaseException] = []

    def pusher() -> None:
        try:
            for _ in range(2000):
                with lock:  # timestamps must rise; the ring's own lock orders the pushes
                    clock[0] += 0.01
                    ring.push(_frame(clock[0]))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=pusher) for _ in range(2)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        frames = ring.clip(1.0, 20.0, now=clock[0])
        assert all(a.timestamp < b.timestamp for a, b in itertools.pairwise(frames))
        assert len(ring) <= 8
    for thread in threads:
        thread.join()
    assert errors == []
    newest = ring.latest()
    assert newest is not None and newest.timestamp == pytest.approx(clock[0])


# --- frames -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(height=st.integers(1, 5000), width=st.integers(1, 5000), tokens=st.integers(4, 2000))
def test_budget_size_is_patch_aligned_within_budget_and_keeps_aspect(
    height: int, width: int, tokens: int
) -> None:
    budget = tokens * PATCH_PIXELS * PATCH_PIXELS
    new_h, new_w = budget_size(height, width, budget)
    assert new_h % PATCH_PIXELS == 0 and new_w % PATCH_PIXELS == 0
    assert new_h >= PATCH_PIXELS and new_w >= PATCH_PIXELS
    if new_h > PATCH_PIXELS and new_w > PATCH_PIXELS:  # not clamped to the one-patch minimum
        assert new_h * new_w <= budget
        # Each side moves by less than one patch, so the aspect ratio moves by at most that much.
        allowed = (width / height) * (PATCH_PIXELS / new_h + PATCH_PIXELS / new_w) * 1.1
        assert abs(new_w / new_h - width / height) <= allowed


def test_a_720p_frame_costs_at_most_720_visual_tokens() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    small = downscale_to_budget(image)
    assert small.shape == (560, 980, 3)
    assert Frame(small, 0.0, "test").visual_tokens == 700 <= DEFAULT_MAX_PIXELS // 784
    already = np.zeros((560, 980, 3), np.uint8)
    assert downscale_to_budget(already) is already


def test_frames_differ_ignores_noise_and_sees_a_local_change() -> None:
    rng = np.random.default_rng(0)
    screen = rng.integers(0, 256, (560, 980, 3), dtype=np.uint8)
    assert not frames_differ(screen, screen.copy())
    noisy = np.clip(screen.astype(np.int16) + rng.integers(-3, 4, screen.shape), 0, 255).astype(np.uint8)
    assert not frames_differ(screen, noisy, threshold=2.0)
    typed = screen.copy()
    typed[100:116, 200:260] = 0  # one short word of dark text
    assert frames_differ(screen, typed)
    assert frames_differ(screen, screen[:, :-28])


# --- a long session -------------------------------------------------------------------------------------


@dataclass
class _Session:
    """What the simulated microphone consumer and screen capture remember between steps."""

    raw_read: int = 0
    delivered: int = 0
    kept: np.ndarray | None = None


def test_ten_minutes_of_audio_and_frames_keep_memory_flat() -> None:
    """10 min of 48 kHz microphone blocks (resampled to 16 kHz, cut into 10 ms blocks) and 2 fps frames."""
    raw = AudioRing(2.0, 48_000)
    ring = AudioRing(30.0, 16_000)
    frames = FrameRing(capacity=40, max_age_s=20.0)
    resampler = StreamResampler(48_000, 16_000)
    rng = np.random.default_rng(1)
    device_block = rng.standard_normal(480).astype(np.float32) * 0.1
    # Downscaling a 720p picture takes ~5 ms; do it once per picture and copy, as each capture allocates anew.
    screens = [downscale_to_budget(rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)) for _ in range(2)]
    session = _Session()

    def one_second(second: int) -> None:
        for _ in range(100):
            raw.write(device_block)
            samples, _lost = raw.catch_up(session.raw_read)
            session.raw_read += samples.size
            ring.write(resampler.process(samples))
            while ring.total_written - session.delivered >= 160:
                ring.read_range(session.delivered, session.delivered + 160)
                session.delivered += 160
        for half in range(2):
            image = screens[half].copy()
            if session.kept is None or frames_differ(session.kept, image):
                session.kept = image
                frames.push(Frame(image, second + half / 2, "screen:1"))
        frames.clip(4.0, 1.0, now=second + 0.5)
        ring.read_last(5.0)

    process = psutil.Process()
    for second in range(60):  # the first minute fills every ring
        one_second(second)
    gc.collect()
    start = process.memory_info().rss
    for second in range(60, 600):
        one_second(second)
    gc.collect()
    grown = process.memory_info().rss - start
    assert ring.total_written == pytest.approx(600 * 16_000, abs=200)
    assert len(frames) == 40
    # A leak of one 10 ms block per block would be 35 MB; of one frame per frame, 1.8 GB. After hundreds of
    # other tests in the same process, malloc arenas alone have moved RSS by 10 MB.
    assert grown < 16e6, f"resident memory grew by {grown / 1e6:.1f} MB over 9 simulated minutes"
