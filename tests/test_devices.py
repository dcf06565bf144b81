"""The real devices the media layer relies on: PulseAudio null sink and Xvfb screen."""

from __future__ import annotations

import numpy as np
import pytest

from engine import system_info
from tests.conftest import needs_display, needs_pulse

pytestmark = pytest.mark.devices


@needs_pulse
def test_tone_played_into_the_null_sink_is_recorded_from_its_monitor() -> None:
    import sounddevice as sd

    rate = 16_000
    t = np.arange(rate) / rate
    tone = (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    blocks = []
    with sd.InputStream(samplerate=rate, channels=1, dtype="float32") as mic:
        sd.play(tone, rate)
        for _ in range(15):
            data, _overflow = mic.read(rate // 10)
            blocks.append(data[:, 0].copy())
        sd.wait()
    recorded = np.concatenate(blocks)
    spectrum = np.abs(np.fft.rfft(recorded))
    peak_hz = np.argmax(spectrum) * rate / recorded.size
    assert abs(peak_hz - 440) < 5
    loud = recorded[np.abs(recorded) > 0.05]
    assert loud.size > rate * 0.8, "most of the tone should come back"
    assert 0.3 < np.abs(recorded).max() < 0.5


@needs_pulse
def test_audio_report_lists_an_input_and_an_output() -> None:
    report = system_info.audio_devices()
    assert report.error == ""
    assert report.inputs and report.outputs


@needs_display
def test_mss_grabs_what_a_real_window_shows(qtbot) -> None:  # type: ignore[no-untyped-def]
    import mss
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.setStyleSheet("background: rgb(250, 20, 30);")
    window.setGeometry(100, 120, 300, 200)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(200)
    origin = window.mapToGlobal(window.rect().center())
    with mss.MSS() as grabber:
        shot = np.asarray(grabber.grab({"left": origin.x() - 5, "top": origin.y() - 5, "width": 10, "height": 10}))
        full = grabber.grab(grabber.monitors[1])
    blue, green, red = shot[5, 5, :3]
    assert (red, green, blue) == (250, 20, 30)
    assert full.size.width >= 1024 and full.size.height >= 768
    assert system_info.displays().screens
