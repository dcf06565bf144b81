"""Microphone and player on a real loopback (PulseAudio null sink and its monitor), plus the resampler.

Playing into the default output and recording the default input is a real
loopback under scripts/test: what the player hands to the device comes back
through the sink's monitor, so timings below are measured on real streams.
"""

from __future__ import annotations

import itertools
import subprocess
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psygnal import SignalInstance

from engine.errors import AudioDeviceError
from engine.media.microphone import Microphone
from engine.media.player import Player
from engine.media.resample import StreamResampler
from tests.conftest import needs_pulse

TTS_RATE = 22_050
MIC_RATE = 16_000


def _tone(seconds: float, hz: float = 440.0, rate: int = TTS_RATE, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


def _without_gaps(recording: np.ndarray) -> np.ndarray:
    """``recording`` with silences removed; a few quiet samples (a zero crossing) are not a silence."""
    loud = np.flatnonzero(np.abs(recording) > 1e-3)
    if loud.size == 0:
        return recording[:0]
    keep = np.zeros(recording.size, bool)
    keep[loud] = True
    steps = np.diff(loud)
    crossing = (steps > 1) & (steps <= 9)
    for start, stop in zip(loud[:-1][crossing], loud[1:][crossing], strict=True):
        keep[start:stop] = True
    return recording[keep]


def _sounding_seconds(recording: np.ndarray) -> float:
    """How long ``recording`` carries sound, silences left out."""
    return _without_gaps(recording).size / MIC_RATE


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


# --- resampler (no devices) ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    rates=st.sampled_from(
        [(48_000, 16_000), (44_100, 16_000), (22_050, 16_000), (8_000, 16_000), (16_000, 16_000)]
    ),
    cuts=st.lists(st.integers(1, 3000), min_size=1, max_size=12),
)
def test_resampling_in_pieces_equals_resampling_at_once(rates: tuple[int, int], cuts: list[int]) -> None:
    rate_in, rate_out = rates
    signal = np.random.default_rng(sum(cuts)).standard_normal(sum(cuts)).astype(np.float32)
    whole = StreamResampler(rate_in, rate_out).process(signal)
    pieces_resampler = StreamResampler(rate_in, rate_out)
    edges = np.cumsum([0, *cuts])
    pieces = np.concatenate([pieces_resampler.process(signal[a:b]) for a, b in itertools.pairwise(edges)])
    assert pieces.size == whole.size == pieces_resampler.produced
    np.testing.assert_allclose(pieces, whole, atol=1e-6)
    # Output lags the input by at most the filter's lookahead.
    assert (
        signal.size * rate_out / rate_in - pieces.size <= pieces_resampler.lookahead * rate_out / rate_in + 1
    )


# Upsampling interpolates linearly: a 1 kHz tone sampled at 8 kHz may be off by A·(1 − cos(π/8)) ≈ 0.038.
@pytest.mark.parametrize(
    ("rate_in", "tolerance"), [(48_000, 0.002), (44_100, 0.002), (22_050, 0.01), (8_000, 0.04)]
)
def test_resampled_tone_keeps_its_time_alignment_and_drops_what_cannot_be_represented(
    rate_in: int, tolerance: float
) -> None:
    resampler = StreamResampler(rate_in, MIC_RATE)
    out = np.concatenate(
        [resampler.process(block) for block in np.array_split(_tone(1.0, 1000, rate_in), 37)]
    )
    expected = _tone(1.0, 1000, MIC_RATE)[: out.size]
    # Output sample k is the input at time k / 16000: no filter delay.
    assert np.abs(out[400:] - expected[400:]).max() < tolerance
    if rate_in > MIC_RATE:
        alias = StreamResampler(rate_in, MIC_RATE).process(_tone(1.0, 9_000, rate_in))
        assert np.sqrt(np.mean(alias[400:] ** 2)) < 1e-3, "9 kHz must not fold back into the 16 kHz stream"


def test_audio_callbacks_allocate_no_buffers() -> None:
    """Driven by hand with 100 ms blocks: a copy of a block would show as 8.8 kB at the allocation peak."""
    import sounddevice as sd

    frames = 2205
    timing = SimpleNamespace(inputBufferAdcTime=1.0, outputBufferDacTime=1.0, currentTime=1.0)
    flags = sd.CallbackFlags()
    player = Player(sample_rate=TTS_RATE)
    player.enqueue(_tone(3.0))
    microphone = Microphone(device_rate=TTS_RATE)
    outdata = np.zeros((frames, 1), np.float32)
    indata = np.full((frames, 1), 0.25, np.float32)
    for _ in range(5):  # a settled stream, warm caches
        player._callback(outdata, frames, timing, flags)
        microphone._callback(indata, frames, timing, flags)
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(20):
            player._callback(outdata, frames, timing, flags)
            microphone._callback(indata, frames, timing, flags)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert player.position == 25 * frames - 3 * frames  # the first clean blocks were held back as silence
    assert np.abs(outdata).max() > 0.4
    assert peak - base < 2048, f"the callbacks allocated up to {peak - base} bytes"


# --- devices ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mic() -> Iterator[Microphone]:
    """One microphone on the sink's monitor for the whole module.

    Besides recording, it keeps the null sink at low latency. While no
    low-latency client is connected, PulseAudio's null sink sleeps up to 2 s
    between renders, so a new stream first stalls, then swallows a burst;
    sinks on real hardware wake at once, and a desktop always has clients
    open. The test that removes the sink runs last.
    """
    microphone = Microphone()
    microphone.start()
    assert microphone.wait_until_running(8.0), "no audio from the null sink's monitor"
    # PulseAudio settles a new recording's latency, and so its timestamps, within about a second.
    time.sleep(2.0)
    yield microphone
    microphone.stop()


@pytest.fixture
def player(mic: Microphone) -> Iterator[Player]:
    speaker = Player(sample_rate=TTS_RATE)
    speaker.start()
    yield speaker
    speaker.close()


@contextmanager
def _connected(signal: SignalInstance, slot: Callable[..., object]) -> Iterator[None]:
    """``slot`` receives ``signal`` inside the block only (the microphone outlives the test)."""
    signal.connect(slot)
    try:
        yield
    finally:
        signal.disconnect(slot)


@needs_pulse
@pytest.mark.devices
def test_microphone_records_a_tone_at_16k_directly_and_through_48k(mic: Microphone, player: Player) -> None:
    resampled = Microphone(device_rate=48_000)
    blocks: list[tuple[int, np.ndarray]] = []
    levels: list[float] = []
    with (
        resampled,
        _connected(mic.block_ready, lambda block, index: blocks.append((index, block))),
        _connected(mic.level_changed, levels.append),
    ):
        assert resampled.device_rate == 48_000 and mic.device_rate == MIC_RATE
        assert resampled.wait_until_running(8.0)
        start_direct, start_resampled = mic.ring.total_written, resampled.ring.total_written
        player.enqueue(_tone(1.0, 1000, TTS_RATE, amplitude=0.4))
        assert player.wait_until_done(5.0)
        time.sleep(0.1)
        direct = mic.ring.read_since(start_direct)[1]
        through_48k = resampled.ring.read_since(start_resampled)[1]
    for recording in (direct, through_48k):
        loud = recording[np.abs(recording) > 0.05]
        assert loud.size > 0.8 * MIC_RATE, "most of the second of tone must come back"
        assert abs(_peak_hz(recording, MIC_RATE) - 1000) < 3
        assert 0.35 < np.abs(recording).max() < 0.45
    indexes = [index for index, _ in blocks]
    assert all(block.size == 160 and block.dtype == np.float32 for _, block in blocks)
    assert indexes == list(range(indexes[0], indexes[0] + 160 * len(indexes), 160)), "blocks are gapless"
    assert max(levels) == pytest.approx(0.4 / np.sqrt(2), abs=0.03)
    assert mic.dropped_samples == 0 and resampled.dropped_samples == 0


@needs_pulse
@pytest.mark.devices
def test_a_device_that_refuses_16k_is_opened_at_its_own_rate(
    monkeypatch: pytest.MonkeyPatch, player: Player
) -> None:
    import sounddevice as sd

    accepts = sd.check_input_settings

    def refuses_16k(*args: object, samplerate: float | None = None, **kwargs: object) -> None:
        if samplerate == MIC_RATE:
            raise sd.PortAudioError("Invalid sample rate")
        accepts(*args, samplerate=samplerate, **kwargs)

    monkeypatch.setattr(sd, "check_input_settings", refuses_16k)
    own_rate = int(sd.query_devices(kind="input")["default_samplerate"])
    with Microphone() as fallback:
        assert fallback.device_rate == own_rate != MIC_RATE
        assert fallback.wait_until_running(5.0)
        start = fallback.ring.total_written
        player.enqueue(_tone(0.5, 1000, TTS_RATE, amplitude=0.4))
        assert player.wait_until_done(5.0)
        time.sleep(0.1)
        recording = fallback.ring.read_since(start)[1]
    assert fallback.ring.sample_rate == MIC_RATE
    assert abs(_peak_hz(recording, MIC_RATE) - 1000) < 3
    assert np.count_nonzero(np.abs(recording) > 0.05) > 0.4 * MIC_RATE


@needs_pulse
@pytest.mark.devices
def test_a_failing_subscriber_does_not_stop_the_microphone(mic: Microphone) -> None:
    def broken(block: np.ndarray, index: int) -> None:
        raise RuntimeError("subscriber bug")

    with _connected(mic.block_ready, broken):
        before = mic.next_sample
        _wait_for(lambda: mic.next_sample >= before + 10 * mic.block_size, 2.0, "blocks despite the bug")
    assert mic.state == "running"


@needs_pulse
@pytest.mark.devices
def test_unknown_devices_are_clear_audio_device_errors() -> None:
    with pytest.raises(AudioDeviceError) as info:
        Microphone(device="no such microphone").start()
    assert "no such microphone" in info.value.message
    assert "available:" in info.value.hint
    with pytest.raises(AudioDeviceError) as info:
        Player(device="no such speaker").start()
    assert "no such speaker" in info.value.message


@needs_pulse
@pytest.mark.devices
def test_player_stop_cuts_the_sound_within_one_block(mic: Microphone, player: Player) -> None:
    states: list[str] = []
    player.state_changed.connect(states.append)  # the player lives for this test only
    start = mic.ring.total_written
    player.enqueue(_tone(3.0), tag="sentence-1")
    player.enqueue(_tone(1.0), tag="sentence-2")
    _wait_for(lambda: player.position >= TTS_RATE, 3.0, "one second of playback")
    recorded_at_stop = mic.ring.total_written
    stop_time = player.stream_time()
    called = time.perf_counter()
    player.stop()
    stop_took = time.perf_counter() - called
    position = player.position
    assert player.queued_samples == 0
    assert player.played_samples("sentence-1") == position and player.played_samples("sentence-2") == 0
    time.sleep(0.5)
    assert player.position == position, "nothing is handed to the device after stop()"
    assert player.state == "idle" and states[0] == "playing"
    recording = mic.ring.read_since(start)[1]
    sounding = np.flatnonzero(np.abs(recording) > 1e-3)
    end_of_sound = start + int(sounding[-1]) + 1
    # The sink's monitor timestamps each sample on the clock of the player's stream.
    last_sound_time = mic.sample_time(end_of_sound)
    assert stop_time is not None and last_sound_time is not None
    tail_ms = (last_sound_time - stop_time) * 1000
    # Without clocks, an upper bound: samples recorded after the recorder's count at stop (that count
    # trails the sink by the recording latency).
    bound_ms = (end_of_sound - recorded_at_stop) * 1000 / MIC_RATE
    heard_s = _sounding_seconds(recording)
    handed_s = position / TTS_RATE
    latency_s = player.latency_samples / TTS_RATE
    print(
        f"stop: sound ended {tail_ms:.1f} ms after stop() (sample-count bound {bound_ms:.1f} ms); "
        f"stop() took {stop_took * 1000:.1f} ms; handed {handed_s:.3f} s, heard {heard_s:.3f} s, "
        f"stream latency {latency_s * 1000:.1f} ms"
    )
    assert tail_ms <= 20 + player.block_ms, f"{tail_ms:.1f} ms of sound reached the sink after stop()"
    # Everything handed over was heard, except what the device and the sound server still buffered
    # when stop() cut it: the stream's latency plus the server's own buffer (about 30 ms here).
    assert handed_s - latency_s - 0.04 <= heard_s <= handed_s + 0.003
    assert stop_took < 0.05

    # The player keeps working after a stop.
    player.enqueue(_tone(0.2), tag="after")
    assert player.wait_until_done(3.0)
    assert player.played_samples("after") == round(0.2 * TTS_RATE)


def _band_noise(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Noise between 200 and 1500 Hz: never periodic, so a shifted copy does not correlate.

    The top is kept low so that locating it to the nearest 16 kHz sample (±31 µs)
    still correlates well (phase error at most 0.3 rad).
    """
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(round(seconds * rate)))
    hz = np.fft.rfftfreq(round(seconds * rate), 1 / rate)
    spectrum[(hz < 200) | (hz > 1500)] = 0
    noise = np.fft.irfft(spectrum, round(seconds * rate))
    return (0.2 * noise / noise.std()).astype(np.float32)


def _locate(segment: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """Where ``segment`` best matches inside ``reference``, and the correlation coefficient there."""
    size = 1 << int(np.ceil(np.log2(reference.size + segment.size)))
    scores = np.fft.irfft(np.fft.rfft(reference, size) * np.conj(np.fft.rfft(segment, size)), size)
    offset = int(np.argmax(scores[: reference.size - segment.size + 1]))
    window = reference[offset : offset + segment.size]
    return offset, float(np.corrcoef(window, segment)[0, 1])


@needs_pulse
@pytest.mark.devices
def test_pause_and_resume_continue_without_losing_or_repeating_audio(mic: Microphone, player: Player) -> None:
    noise = _band_noise(2.0, TTS_RATE, seed=7)
    start = mic.ring.total_written
    player.enqueue(noise, tag="noise")
    _wait_for(lambda: player.position >= 0.7 * TTS_RATE, 3.0, "0.7 s of playback")
    player.pause()
    time.sleep(0.05)
    held = player.position
    time.sleep(0.5)
    assert player.position == held and player.state == "paused"
    player.resume()
    assert player.wait_until_done(5.0)
    assert player.position == noise.size == player.played_samples("noise")
    time.sleep(0.1)
    recording = mic.ring.read_since(start)[1]

    sounding = np.abs(recording) > 1e-4
    first, last = np.nonzero(sounding)[0][[0, -1]]
    active = sounding[first : last + 1]
    # The pause is the one long run of digital silence inside the sound.
    edges = np.flatnonzero(np.diff(active.astype(np.int8)))
    runs = [(a + 1, b + 1) for a, b in zip(edges[::2], edges[1::2], strict=False) if b - a > 0.1 * MIC_RATE]
    assert len(runs) == 1, runs
    gap_start, gap_end = runs[0][0] + first, runs[0][1] + first
    before, after = recording[first:gap_start], recording[gap_end : last + 1]
    reference = StreamResampler(TTS_RATE, MIC_RATE).process(
        np.concatenate([noise, np.zeros(400, np.float32)])
    )
    at_before, match_before = _locate(before[40:-40], reference)
    at_after, match_after = _locate(after[40:-40], reference)
    assert match_before > 0.9 and match_after > 0.9
    # "after" starts in the reference where "before" ended: a lost or repeated 10 ms block would show
    # as ±10 ms. The edges of the silence carry the sound server's resampling filter (about 1 ms).
    continuity_ms = ((at_after - 40) - (at_before - 40 + before.size)) * 1000 / MIC_RATE
    assert abs(continuity_ms) <= 3.0, f"resume jumped {continuity_ms:+.2f} ms in the signal"
    heard_ms = (before.size + after.size) * 1000 / MIC_RATE
    assert heard_ms == pytest.approx(2000, abs=3)
    print(
        f"pause/resume: signal continuity {continuity_ms:+.2f} ms, heard {heard_ms:.1f} of 2000 ms, "
        f"correlation {match_before:.3f}/{match_after:.3f}"
    )


@needs_pulse
@pytest.mark.devices
def test_player_counts_each_tag_and_taps_a_16k_reference(mic: Microphone, player: Player) -> None:
    states: list[str] = []
    player.state_changed.connect(states.append)
    chunks = {"one": _tone(0.3, 500), "two": _tone(0.5, 700), "three": _tone(0.2, 900)}
    reference_start = player.reference.total_written
    recording_start = mic.ring.total_written
    for tag, chunk in chunks.items():
        player.enqueue(chunk, tag=tag)
    assert player.wait_until_done(5.0)
    assert states == ["playing", "idle"]
    for tag, chunk in chunks.items():
        assert player.played_samples(tag) == chunk.size
    assert player.played_samples("never") == 0
    assert player.position == sum(chunk.size for chunk in chunks.values())
    assert 0 < player.latency_samples < 0.2 * TTS_RATE
    # The reference is what went to the device at 16 kHz: the three tones back to back, silence around.
    tapped = player.reference.read_since(reference_start)[1]
    assert player.reference.sample_rate == MIC_RATE
    first = int(np.flatnonzero(np.abs(tapped) > 1e-3)[0])
    # An underflow may insert silence (never lose audio): compare the sound with its gaps removed.
    voiced = _without_gaps(tapped)
    # The resampler's filter rings for up to 28 samples at each end of the sound.
    assert voiced.size == pytest.approx(MIC_RATE, abs=60), "one second of sound, nothing lost or added"
    offset = 0
    for seconds, hz in ((0.3, 500), (0.5, 700), (0.2, 900)):
        segment = voiced[offset : offset + round(seconds * MIC_RATE)]
        assert abs(_peak_hz(segment[80:-80], MIC_RATE) - hz) < 8
        assert np.abs(segment).max() == pytest.approx(0.5, abs=0.01)
        offset += segment.size
    # Reference and microphone share one clock: the tone starts at the same stream time in both.
    recorded = mic.ring.read_since(recording_start)[1]
    heard_from = recording_start + int(np.flatnonzero(np.abs(recorded) > 1e-3)[0])
    played_at = player.reference_time(reference_start + first)
    heard_at = mic.sample_time(heard_from)
    assert played_at is not None and heard_at is not None
    # Within one 10 ms block: callback timestamps jitter by a few ms on a loaded machine (4 ms seen),
    # while clocks that were not shared would differ by the output latency (60 ms and more).
    assert abs(heard_at - played_at) < 0.010, f"clocks disagree by {(heard_at - played_at) * 1000:.1f} ms"


def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True).stdout


def _null_sink_module() -> str | None:
    for line in _pactl("list", "short", "modules").splitlines():
        fields = line.split("\t")
        if len(fields) > 2 and fields[1] == "module-null-sink" and "nexus_null" in fields[2]:
            return fields[0]
    return None


def _load_null_sink() -> None:
    if _null_sink_module() is None:
        _pactl(
            "load-module",
            "module-null-sink",
            "sink_name=nexus_null",
            "sink_properties=device.description=NexusNullSink",
        )
    _pactl("set-default-sink", "nexus_null")
    _pactl("set-default-source", "nexus_null.monitor")


@needs_pulse
@pytest.mark.devices
def test_microphone_reports_a_vanished_device_and_recovers_when_it_returns(mic: Microphone) -> None:
    """Unloading the null sink removes the device under the running stream (last: it resets the sink)."""
    errors: list[AudioDeviceError] = []
    states: list[str] = []
    module = _null_sink_module()
    assert module is not None
    with _connected(mic.error_occurred, errors.append), _connected(mic.state_changed, states.append):
        try:
            _pactl("unload-module", module)
            _wait_for(lambda: mic.state == "error", 3.0, "the microphone to notice the lost device")
            assert len(errors) == 1 and isinstance(errors[0], AudioDeviceError)
            assert "stopped" in errors[0].message and errors[0].hint
            time.sleep(1.2)  # at least one reopen attempt while the device is gone
            assert mic.state == "error" and mic.last_error is not None
        finally:
            _load_null_sink()
        _wait_for(lambda: mic.state == "running", 8.0, "the microphone to reopen the device")
        resumed_at = mic.next_sample
        _wait_for(lambda: mic.next_sample >= resumed_at + 3200, 2.0, "blocks to flow again")
    assert states[0] == "error" and states[-2:] == ["starting", "running"]
    assert mic.last_error is None
