"""Samples from recorded Live sessions and podcast interactions, through the review step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.live.recorder import SessionRecorder
from engine.podcast.episode import EpisodeStore, EpisodeTurn, Interaction
from engine.podcast.formats import EpisodeSpec
from training.datasets.from_sessions import Review, collect_candidates, save_reviewed
from training.datasets.store import iter_samples, read_card
from tests.podcast_fixtures import make_episode


def recorded_session(data_dir: Path) -> Path:
    recorder = SessionRecorder(data_dir)
    frame = recorder.save_frame(1, np.full((48, 64, 3), 120, np.uint8))
    audio = recorder.save_utterance(1, np.zeros(8000, np.float32))
    recorder.write_entry({"turn": 1, "user": "What is on my screen?", "frame": frame, "audio": audio,
                          "assistant": "A terminal with a failing test.", "interrupted": False})
    recorder.write_entry({"turn": 2, "user": "And now?", "frame": None, "audio": None,
                          "assistant": "The test", "interrupted": True})
    recorder.write_entry({"turn": 3, "user": "", "frame": None, "audio": None, "assistant": "", "interrupted": False})
    recorder.close()
    return recorder.path


def test_sessions_and_episodes_become_reviewed_samples_with_their_media(tmp_path: Path) -> None:
    session = recorded_session(tmp_path / "data")
    episode = make_episode(tmp_path, EpisodeSpec("brief", "short"), synthesize_all=False)
    question = EpisodeTurn(100, "Listener", "Does it work in winter?", [], 0, "question")
    answers = [EpisodeTurn(101, "Alex", "Yes, a little less.", [], 0, "answer"),
               EpisodeTurn(102, "Alex", "Back to where we were.", [], 0, "bridge")]
    episode.interactions.append(Interaction(0, 1, 0, "text", question, answers))
    EpisodeStore(tmp_path / "episodes").save(episode)

    review = collect_candidates([session, episode.folder])
    assert [c.keep for c in review.candidates] == [True, False, True]
    assert review.candidates[1].note.startswith("interrupted")
    assert review.candidates[2].assistant == "Yes, a little less."  # the bridge is not part of the answer
    review.edit(review.candidates[0].id, assistant="A terminal showing one failing test.")
    review.edit(review.candidates[2].id, keep=False)
    review.save(tmp_path / "review.json")
    again = Review.load(tmp_path / "review.json")
    assert again == review

    card = save_reviewed(again, tmp_path / "mine")
    [sample] = list(iter_samples(tmp_path / "mine"))
    assert card.total == 1 and sample.source == "nexus-live-session"
    assert sample.messages[0].content == "<image><audio>What is on my screen?"
    assert sample.messages[1].content == "A terminal showing one failing test."
    assert sample.modalities is not None
    image = tmp_path / "mine" / sample.modalities.image[0].path
    Image.open(image).verify()
    assert (tmp_path / "mine" / sample.modalities.audio[0].path).is_file()
    assert read_card(tmp_path / "mine").counts_by_kind == {"multimodal": 1}


def test_a_folder_that_is_neither_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither a recorded Live session nor a podcast episode"):
        collect_candidates([tmp_path])
