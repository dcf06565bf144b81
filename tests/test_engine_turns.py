"""What the real checkpoint and a real session would show that the plain tiny thinker hid.

* an answer stops at the chat template's end token even when the generation config names no eos
  (the official thinker loaded on its own; upstream Qwen2.5-Omni issue 371);
* the prefix cache tells two same-sized screens apart, and a new session starts clean;
* the first turn of a session always carries the screen;
* what a turn holds is decided once and stored as sent, so history and prompt agree;
* once the media window rolls, steady-state turns prefill only what is new;
* the prompt encoder (each media item processed once) gives exactly the processor's inputs.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from cli.main import main
from engine.config import LiveSettings
from engine.live.session import LiveParts, LiveSession
from engine.media.frame_ring import FrameRing
from engine.media.frames import Frame
from engine.omni.encoding import PromptEncoder
from engine.omni.loader import LoadedThinker
from engine.omni.local import GenerationSettings, LocalEngine
from engine.omni.media_policy import media_start
from engine.omni.prefix import media_spans
from engine.omni.prompt import build_conversation, processor_inputs
from engine.omni.turn import Message, Turn, UserContent, VideoClip

GREEDY = GenerationSettings(max_new_tokens=6, min_new_tokens=6, temperature=0.0)


def screen(seed: int, size: tuple[int, int] = (720, 1280)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)


def speech(seconds: float, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(16_000 * seconds))).astype(np.float32)


def first_media_start(engine: LocalEngine, turn: Turn) -> int:
    """Where the first media span of ``turn``'s prompt begins."""
    messages, media = build_conversation(turn, engine.policy.window, engine.policy.block)
    encoded = engine.encoder.encode(messages, media)
    return media_spans(encoded.ids, engine.tokens)[0][0]


# ---- 1. runaway answers -------------------------------------------------------------------------


def im_end_first_thinker(source: Path, out: Path) -> Path:
    """The tiny thinker rewired so its first token is ``<|im_end|>``, saved with no eos in its generation config."""
    from transformers import Qwen2_5OmniProcessor, Qwen2_5OmniThinkerForConditionalGeneration

    model = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(source, dtype=torch.float32)
    processor = Qwen2_5OmniProcessor.from_pretrained(source)
    im_end = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    text = model.model.language_model
    with torch.no_grad():
        for layer in text.layers:  # the residual stream is then the token's embedding
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        text.embed_tokens.weight[:, 0] = 10.0  # one large, always-positive feature
        model.lm_head.weight[im_end] = 0.0
        model.lm_head.weight[im_end, 0] = 100.0
    model.save_pretrained(out)
    processor.save_pretrained(out)
    (out / "generation_config.json").write_text(json.dumps({"do_sample": False}))
    return out


def test_an_answer_stops_at_im_end_when_the_generation_config_has_no_eos(
    tiny_thinker_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = im_end_first_thinker(tiny_thinker_dir, tmp_path / "no-eos")
    assert "eos_token_id" not in json.loads((folder / "generation_config.json").read_text())
    code = main(["ask", "--model", str(folder), "--device", "cpu", "--max-new-tokens", "40", "Hello?"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert ", 1 generated," in err, err


# ---- 2. and 3. a new session: the new screen, from the first turn ----------------------------------


def test_a_same_sized_new_screen_is_not_answered_from_the_old_ones_cache(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GREEDY)
    old, new = screen(1), screen(2)
    list(engine.stream(Turn(UserContent("What is on my screen?", images=[old]))))
    turn = Turn(UserContent("What is on my screen?", images=[new]))
    image_start = first_media_start(engine, turn)
    answer = "".join(engine.stream(turn))
    stats = engine.last_stats
    # The ids are identical up to the last token; only the pixels differ.
    assert stats.reused_prefix_tokens <= image_start
    assert stats.tokens_by_modality["image"] > 0
    fresh = LocalEngine(tiny_loaded, replace(GREEDY, reuse_prefix=False))
    assert answer == "".join(fresh.stream(Turn(UserContent("What is on my screen?", images=[new]))))


def text_session(engine: LocalEngine, frames: FrameRing) -> LiveSession:
    return LiveSession(LiveParts(engine, frames), LiveSettings(mode="text_only", clip_seconds=0))


def ask_in_session(session: LiveSession, text: str) -> tuple[Turn, object]:
    started: list[Turn] = []
    finished: list[object] = []
    session.turn_started.connect(started.append)
    session.turn_finished.connect(finished.append)
    asked = len(session.history)
    session.submit_text(text)
    deadline = time.monotonic() + 120
    while len(session.history) < asked + 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert finished and session.history[-1].role == "assistant", "the turn did not finish"
    return started[0], finished[0]


def test_stop_then_start_with_a_changed_screen_answers_from_the_new_screen(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GREEDY)
    frames = FrameRing(8, 60.0)
    frames.push(Frame(screen(3), time.monotonic(), "screen:1"))
    first = text_session(engine, frames)
    first.start()
    ask_in_session(first, "What do you see?")
    first.stop()

    frames.push(Frame(screen(4), time.monotonic(), "screen:1"))  # same size, other content
    second = text_session(engine, frames)
    second.start()
    turn, stats = ask_in_session(second, "What do you see?")
    second.stop()
    assert stats.reused_prefix_tokens == 0, "a new session starts with a clean engine state"
    assert stats.tokens_by_modality["image"] > 0
    fresh = LocalEngine(tiny_loaded, replace(GREEDY, reuse_prefix=False))
    fresh_answer = "".join(fresh.stream(Turn(UserContent("What do you see?", images=[screen(4)]))))
    assert second.history[-1].text == fresh_answer.strip()


def test_the_first_turn_of_a_new_session_carries_an_unchanged_screen(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GREEDY)
    frames = FrameRing(8, 60.0)
    frames.push(Frame(screen(5), time.monotonic(), "screen:1"))
    for _ in range(2):
        session = text_session(engine, frames)
        session.start()
        _turn, stats = ask_in_session(session, "And now?")
        session.stop()
        assert stats.skipped_duplicate_frames == 0
        assert stats.tokens_by_modality["image"] > 0


# ---- 4. one rule, stored as sent ------------------------------------------------------------------


def test_a_dropped_duplicate_frame_is_dropped_from_history_too(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GREEDY)
    frame = screen(6)
    first = UserContent("Look.", images=[frame])
    answer = "".join(engine.stream(Turn(first)))
    history = [Message("user", "Look.", first), Message("assistant", answer)]
    assert first.images[0].shape == (560, 980, 3), "history holds the frame as sent, at the pixel budget"
    nearly_same = np.clip(frame.astype(np.int16) + 1, 0, 255).astype(np.uint8)
    second = UserContent("Look again.", images=[nearly_same])
    turn = Turn(second, history=history)
    second_answer = "".join(engine.stream(turn))
    stats = engine.last_stats
    assert stats.skipped_duplicate_frames == 1 and second.images == []
    assert stats.tokens_by_modality["image"] == 0
    # The next turn's prompt repeats the last one exactly: everything up to the new content is reused.
    history += [Message("user", "Look again.", second), Message("assistant", second_answer)]
    third = Turn(UserContent("Thanks."), history=history)
    list(engine.stream(third))
    assert engine.last_stats.prefill_tokens < 30


def test_a_frame_is_sent_again_once_the_old_one_left_the_window(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, replace(GREEDY, media_window=1, media_block=1))
    frame = screen(7)
    history: list[Message] = []
    for i in range(3):
        content = UserContent(f"Turn {i}.", images=[frame] if i == 0 else [])
        list(engine.stream(Turn(content, history=list(history))))
        history += [Message("user", content.text, content), Message("assistant", "ok")]
    again = UserContent("And the screen?", images=[frame])
    list(engine.stream(Turn(again, history=history)))
    assert engine.last_stats.skipped_duplicate_frames == 0 and len(again.images) == 1


# ---- 5. steady state ------------------------------------------------------------------------------


def test_media_leave_the_prompt_in_blocks() -> None:
    history: list[Message] = []
    starts = []
    for i in range(9):
        starts.append(media_start(history, window=3, block=3))
        history += [Message("user", str(i)), Message("assistant", "ok")]
    # The index of the first message whose media are kept changes only every third turn.
    assert starts == [0, 0, 0, 0, 0, 0, 6, 6, 6]
    assert media_start(history[:8], window=3, block=1) == 2


def test_steady_state_turns_prefill_only_what_is_new(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, replace(GREEDY, media_window=2, media_block=2))
    history: list[Message] = []
    prefills = []
    for i in range(8):
        content = UserContent(f"What changed in step {i}?", images=[screen(10 + i, (360, 640))], audio=speech(1.0, i))
        answer = "".join(engine.stream(Turn(content, history=list(history))))
        prefills.append(engine.last_stats.prefill_tokens)
        history += [Message("user", content.text, content), Message("assistant", answer)]
    one_turn = max(prefills[1:3])  # a follow-up before any media left the prompt
    rolled = [i for i, p in enumerate(prefills) if i and p > 1.5 * one_turn]
    # Media leave two turns at a time, so a full re-prefill happens on at most every other turn.
    assert rolled and all(b - a >= 2 for a, b in zip(rolled, rolled[1:])), prefills
    assert sum(1 for p in prefills[1:] if p <= 1.5 * one_turn) >= 4, prefills


def test_media_already_encoded_are_not_processed_again(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GREEDY)
    history: list[Message] = []
    for i in range(3):
        content = UserContent(f"Step {i}.", images=[screen(20 + i, (360, 640))], audio=speech(1.0, i))
        answer = "".join(engine.stream(Turn(content, history=list(history))))
        history += [Message("user", content.text, content), Message("assistant", answer)]
    assert engine.encoder.items_encoded == 6, "each image and each clip once, though the prompt holds them all"


def test_the_encoder_gives_exactly_the_processors_inputs(tiny_loaded: LoadedThinker) -> None:
    old = UserContent("first", images=[screen(30, (280, 420))], audio=speech(0.7))
    turn = Turn(
        UserContent(
            "now",
            images=[screen(31, (280, 420)), screen(32, (168, 224))],
            video=VideoClip([screen(33, (112, 112)), screen(34, (112, 112))], 0.5),
            audio=speech(2.0, 1),
        ),
        history=[Message("user", "first", old), Message("assistant", "one")],
    )
    messages, media = build_conversation(turn, media_window=3)
    expected = processor_inputs(tiny_loaded.processor, messages, media)
    encoder = PromptEncoder(tiny_loaded.processor)
    for _ in range(2):  # cold, then from the item cache
        got = encoder.encode(messages, media).inputs
        assert set(expected) <= set(got), (set(expected), set(got))
        for key in expected:
            assert torch.equal(torch.as_tensor(got[key]), torch.as_tensor(expected[key])), key
    assert encoder.items_encoded == 6  # 3 images, 2 audio tracks, 1 clip: each once
