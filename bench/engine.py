"""Engine figures for the standard Live scenario.

One 1280x720 screen frame + 3 s of speech + a 12-word question, then a
follow-up turn with a new frame. Prints prefill tokens per modality, the
follow-up's prefill (with the cached prefix reused), time to first token,
decode tokens/s and peak memory, as medians over ``--repeats`` runs.

Then the steady state: a conversation of ``--turns`` turns, each with a new
frame, 3 s of speech and a question, printing per turn the prompt, the tokens
reused from the cache, the tokens prefilled and the media items the processor
had to encode (once the media window rolls, old media leave in blocks).

    .venv/bin/python bench/engine.py                      # tiny random thinker on CPU
    .venv/bin/python bench/engine.py --model /path/to/Qwen2.5-Omni-7B-GPTQ-Int4 --device cuda
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.omni.loader import load_thinker  # noqa: E402
from engine.omni.local import GenerationSettings, LocalEngine  # noqa: E402
from engine.omni.memory import memory_in_use, peak_rss_bytes  # noqa: E402
from engine.omni.turn import Message, Turn, TurnStats, UserContent  # noqa: E402

QUESTION = "What is the error in the code on my screen and how do I fix it?"
FOLLOW_UP = "And what about the warning below it?"


def scenario_inputs(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two distinct 1280x720 frames and 3 s of a speech-like 16 kHz signal."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    second = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    t = np.arange(3 * 16_000) / 16_000
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    speech = (0.2 * envelope * np.sin(2 * np.pi * 180 * t) + 0.02 * rng.standard_normal(t.size)).astype(np.float32)
    return first, second, speech


def run_once(engine: LocalEngine, seed: int) -> tuple[TurnStats, TurnStats]:
    """The two turns of the scenario; returns their stats."""
    engine.reset()
    first_frame, second_frame, speech = scenario_inputs(seed)
    user = UserContent(QUESTION, images=[first_frame], audio=speech)
    answer = "".join(engine.stream(Turn(user)))
    first = engine.last_stats
    follow = Turn(
        UserContent(FOLLOW_UP, images=[second_frame]),
        history=[Message("user", QUESTION, user), Message("assistant", answer)],
    )
    "".join(engine.stream(follow))
    return first, engine.last_stats


def steady_state(engine: LocalEngine, turns: int, seed: int = 7) -> list[tuple[TurnStats, int]]:
    """A conversation of ``turns`` turns with a new frame and speech each; stats and items encoded per turn."""
    engine.reset()
    history: list[Message] = []
    results = []
    for index in range(turns):
        frame, _other, speech = scenario_inputs(seed + index)
        user = UserContent(QUESTION if index == 0 else FOLLOW_UP, images=[frame], audio=speech)
        encoded_before = engine.encoder.items_encoded
        answer = "".join(engine.stream(Turn(user, history=list(history))))
        results.append((engine.last_stats, engine.encoder.items_encoded - encoded_before))
        history += [Message("user", user.text, user), Message("assistant", answer)]
    return results


def default_model() -> Path:
    """The tiny random thinker the tests use (built on first use)."""
    from tests.tiny_omni import cached_tiny_thinker

    return cached_tiny_thinker(ROOT / ".nexus-test")


def main() -> int:
    """Run the scenario and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="thinker checkpoint folder (default: tiny random thinker)")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--turns", type=int, default=8, help="turns of the steady-state conversation")
    args = parser.parse_args()
    model = args.model or default_model()
    loaded = load_thinker(model, args.device)
    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens, min_new_tokens=args.max_new_tokens, temperature=0.0
    )
    engine = LocalEngine(loaded, settings)
    run_once(engine, seed=99)  # warm-up: kernels, allocator
    runs = [run_once(engine, seed) for seed in range(args.repeats)]
    first, follow = runs[-1]

    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"model            {model} ({loaded.layout} layout, {loaded.dtype}, {loaded.device})")
    print(f"runs             {args.repeats} (median), {args.max_new_tokens} new tokens per turn")
    print("turn 1 prefill   " + ", ".join(f"{k} {v}" for k, v in first.tokens_by_modality.items())
          + f"  = {first.prefill_tokens} tokens")
    print(f"turn 2 prompt    {follow.prompt_tokens} tokens, reused from cache {follow.reused_prefix_tokens}, "
          f"prefilled {follow.prefill_tokens} (" + ", ".join(f"{k} {v}" for k, v in follow.tokens_by_modality.items()) + ")")
    print(f"ttft turn 1      {med([r[0].time_to_first_token_s or 0 for r in runs]) * 1000:.1f} ms")
    print(f"ttft turn 2      {med([r[1].time_to_first_token_s or 0 for r in runs]) * 1000:.1f} ms")
    print(f"decode           {med([r[0].tokens_per_s for r in runs]):.1f} tokens/s")
    print(f"steady state     {args.turns} turns, media of the last {settings.media_window} user turns kept, "
          f"dropped {settings.media_block} at a time")
    print("  turn  prompt  reused  prefill  items encoded  ttft")
    for index, (stats, items) in enumerate(steady_state(engine, args.turns), start=1):
        print(f"  {index:4d}  {stats.prompt_tokens:6d}  {stats.reused_prefix_tokens:6d}  {stats.prefill_tokens:7d}"
              f"  {items:13d}  {(stats.time_to_first_token_s or 0) * 1000:.0f} ms")
    print(f"memory           {memory_in_use(loaded.device)}; peak RSS {peak_rss_bytes() / 1024**3:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
