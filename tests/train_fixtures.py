"""Tiny training data made by the tests: multimodal SFT samples and preference pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from training.datasets.schema import MediaRef, Message, Modalities, PreferencePair, Sample
from training.datasets.store import DatasetWriter

COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}


def tiny_multimodal_dataset(root: Path, count: int = 12) -> Path:
    """Text, image and audio samples whose answers name a colour (easy to learn)."""
    with DatasetWriter(root) as writer:
        media = writer.media_dir
        for i in range(count):
            colour = list(COLOURS)[i % 3]
            answer = Message(role="assistant", content=f"The colour is {colour}.")
            if i % 3 == 0:
                sample = Sample(id=f"text{i}", messages=[Message(role="user", content="Say the colour word."), answer],
                                domain="test", category="text", source="test")
            elif i % 3 == 1:
                Image.new("RGB", (56, 56), COLOURS[colour]).save(media / f"image{i}.png")
                sample = Sample(id=f"image{i}", messages=[Message(role="user", content="<image>What colour is this?"), answer],
                                domain="test", category="image", source="test",
                                modalities=Modalities(image=[MediaRef(path=f"media/image{i}.png", type="photo")]))
            else:
                tone = (np.sin(np.arange(16_000) * (0.05 + 0.02 * i)) * 0.3).astype(np.float32)
                sf.write(media / f"tone{i}.wav", tone, 16_000)
                sample = Sample(id=f"audio{i}", messages=[Message(role="user", content="<audio>Which tone is this?"), answer],
                                domain="test", category="audio", source="test",
                                modalities=Modalities(audio=[MediaRef(path=f"media/tone{i}.wav", type="speech")]))
            writer.write(sample)
    return root


def tiny_pairs_dataset(root: Path, count: int = 16) -> Path:
    """Preference pairs with a helpful chosen and a dismissive rejected answer."""
    with DatasetWriter(root) as writer:
        for i in range(count):
            writer.write(PreferencePair(id=f"pair{i}", prompt=f"Question {i}: is the sky blue?",
                                        chosen="Yes, on a clear day the sky is blue.", rejected="No idea, go away.",
                                        category="task_completion", source="test"))
    return root
