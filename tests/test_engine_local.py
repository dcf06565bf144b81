"""The in-process engine on the tiny random thinker: streaming, cancel, budget, prefix reuse."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.omni.local import ContextOverflow, GenerationSettings, LocalEngine
from engine.omni.loader import LoadedThinker
from engine.omni.prompt import build_conversation
from engine.omni.turn import CancelToken, Message, Turn, UserContent, VideoClip

GREEDY = GenerationSettings(max_new_tokens=10, min_new_tokens=10, temperature=0.0)


def screen(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (720, 1280, 3), dtype=np.uint8)


def speech(seconds: float, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(16_000 * seconds))).astype(np.float32)


def test_image_audio_text_turn_streams_tokens(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GREEDY)
    turn = Turn(UserContent("What is on my screen?", images=[screen(1)], audio=speech(1.0)))
    deltas = list(engine.stream(turn))
    stats = engine.last_stats
    assert len(deltas) >= 1 and "".join(deltas)
    assert stats.generated_tokens == 10
    assert stats.tokens_by_modality["image"] > 0 and stats.tokens_by_modality["audio"] == 25
    assert stats.prefill_tokens == stats.prompt_tokens == sum(stats.tokens_by_modality.values())
    assert stats.time_to_first_token_s is not None and not stats.cancelled


def test_video_clip_is_sent_as_video_tokens(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GREEDY)
    clip = VideoClip([screen(i) for i in range(3)], fps=1.0)
    list(engine.stream(Turn(UserContent("What changed?", video=clip))))
    assert engine.last_stats.tokens_by_modality["video"] > 0


def test_cancel_stops_within_one_token(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GenerationSettings(max_new_tokens=200, min_new_tokens=200, temperature=0.0))
    cancel = CancelToken()
    received = []
    for delta in engine.stream(Turn(UserContent("Tell me a long story.")), cancel):
        received.append(delta)
        if len(received) == 3:
            cancel.cancel()
    stats = engine.last_stats
    assert len(received) == 3, "no text may be yielded after cancel"
    assert stats.cancelled
    assert stats.generated_tokens < 200
    assert engine.tokens_after_cancel <= 1


def test_frames_are_held_to_the_pixel_budget(tiny_loaded: LoadedThinker) -> None:
    small = LocalEngine(tiny_loaded, replace(GREEDY, max_pixels=200 * 28 * 28))
    list(small.stream(Turn(UserContent("Look.", images=[screen(3)]))))
    assert 0 < small.last_stats.tokens_by_modality["image"] <= 200 // 4 * 4


def test_follow_up_reuses_the_cached_prefix_with_identical_output(tiny_loaded: LoadedThinker) -> None:
    settings = replace(GREEDY, media_window=1)
    engine = LocalEngine(tiny_loaded, settings)
    first_user = UserContent("What is this window?", images=[screen(4)], audio=speech(2.0))
    answer = "".join(engine.stream(Turn(first_user)))
    follow_up = Turn(
        UserContent("And this one?", images=[screen(5)], audio=speech(1.0, 1)),
        history=[Message("user", first_user.text, first_user), Message("assistant", answer)],
    )
    reused_answer = "".join(engine.stream(follow_up))
    reused = engine.last_stats
    fresh = LocalEngine(tiny_loaded, replace(settings, reuse_prefix=False))
    fresh_answer = "".join(fresh.stream(follow_up))
    assert reused.reused_prefix_tokens > 0
    assert reused.prefill_tokens < fresh.last_stats.prefill_tokens
    assert reused.prefill_tokens + reused.reused_prefix_tokens == fresh.last_stats.prompt_tokens
    assert reused_answer == fresh_answer, "reusing the cache must not change the answer"


def test_history_keeps_text_and_drops_old_media() -> None:
    old = UserContent("first", images=[screen(6)], audio=speech(0.5))
    recent = UserContent("second", images=[screen(7)])
    turn = Turn(
        UserContent("third", images=[screen(8)]),
        history=[
            Message("user", "first", old),
            Message("assistant", "one"),
            Message("user", "second", recent),
            Message("assistant", "two", interrupted=True),
        ],
    )
    messages, media = build_conversation(turn, media_window=1)
    texts = [part.get("text") for m in messages for part in m["content"] if part["type"] == "text"]
    assert texts[1:] == ["first", "one", "second", "two", "third"]
    assert len(media.images) == 2 and not media.audios
    _, no_media = build_conversation(turn, media_window=0)
    assert len(no_media.images) == 1


def test_context_guard_drops_the_oldest_turns(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, replace(GREEDY, max_context=160))
    history = []
    for i in range(6):
        history += [Message("user", f"question number {i} about the code"), Message("assistant", f"answer {i} " * 5)]
    list(engine.stream(Turn(UserContent("last question"), history=history)))
    assert engine.last_stats.prompt_tokens + GREEDY.max_new_tokens <= 160
    with pytest.raises(ContextOverflow):
        list(engine.stream(Turn(UserContent("look", images=[screen(9)], audio=speech(20.0)))))


def test_describe_reports_model_device_and_memory(tiny_loaded: LoadedThinker) -> None:
    info = LocalEngine(tiny_loaded).describe()
    assert info["device"] == "cpu" and info["layout"] == "thinker" and info["dtype"] == "bfloat16"
    assert "GiB" in info["memory"]
