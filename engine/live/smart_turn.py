"""The acoustic end-of-turn model: Smart Turn v3.2 (pipecat, BSD-2) on onnxruntime.

Given the last seconds of what the user said, it answers how likely the
speaker has finished their turn, from prosody and wording together (a falling
pitch at the end of a question, versus a held vowel before "and…"). The model
is the 8 MB CPU build shipped inside the ``pipecat-ai`` wheel, copied
unchanged into ``engine/live/data`` with its licence; its input is Whisper-tiny
style log-mel features of the last 8 s (80 mels × 800 frames, zero-padded in
front), computed with transformers' ``WhisperFeatureExtractor``. About 50 ms
per call on one laptop core.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from engine import privacy as _privacy  # noqa: F401,I001 - before onnxruntime loads: its telemetry stays off
import onnxruntime

from engine.omni.turn import AUDIO_RATE
from engine.privacy import quiet_onnxruntime

MODEL_PATH = Path(__file__).with_name("data") / "smart-turn-v3.2-cpu.onnx"
WINDOW_S = 8


class SmartTurn:
    """Probability that an utterance is a finished turn (thread-safe; one inference at a time)."""

    def __init__(self, model_path: Path = MODEL_PATH, threads: int = 1) -> None:
        from transformers import WhisperFeatureExtractor

        quiet_onnxruntime()
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._features = WhisperFeatureExtractor(
            feature_size=80, sampling_rate=AUDIO_RATE, n_fft=400, hop_length=160, chunk_length=WINDOW_S
        )
        self._lock = threading.Lock()

    def probability(self, audio: np.ndarray) -> float:
        """How likely the turn is complete, 0–1, from 16 kHz mono ``audio`` (its last 8 s are used)."""
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)[-WINDOW_S * AUDIO_RATE :]
        if samples.size < WINDOW_S * AUDIO_RATE:  # the model was trained with silence in front, not behind
            samples = np.concatenate([np.zeros(WINDOW_S * AUDIO_RATE - samples.size, np.float32), samples])
        features = self._features(
            samples, sampling_rate=AUDIO_RATE, return_tensors="np", padding="max_length",
            max_length=WINDOW_S * AUDIO_RATE, truncation=True, do_normalize=True,
        )["input_features"].astype(np.float32)
        with self._lock:
            (logits,) = self._session.run(None, {"input_features": features})
        return float(np.asarray(logits).reshape(-1)[0])
