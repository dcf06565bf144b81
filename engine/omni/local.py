"""The in-process engine: streams a thinker's answer token by token, cancellable.

Generation runs in a worker thread with ``TextIteratorStreamer``; a
``StoppingCriteria`` checks the cancel token after every token, and the
iterator stops yielding the moment cancel is seen (pending text is dropped).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from engine.errors import NexusError
from engine.media.frames import DEFAULT_MAX_PIXELS
from engine.omni import prefix
from engine.omni.adapters import AdapterSet
from engine.omni.encoding import EncodedPrompt, MediaItem, PromptEncoder
from engine.omni.loader import LoadedThinker
from engine.omni.media_policy import MediaPolicy
from engine.omni.prompt import build_conversation
from engine.omni.turn import CancelToken, Message, Turn, TurnStats

log = logging.getLogger(__name__)


class ContextOverflow(NexusError):
    """The new user content alone does not fit the model's context window."""


@dataclass
class GenerationSettings:
    """Sampling and budget settings of the local engine."""

    max_new_tokens: int = 512
    min_new_tokens: int = 0
    temperature: float = 0.7
    top_p: float = 0.9
    max_context: int = 32_768
    media_window: int = 3  # user turns whose media stay in the prompt; older media are dropped
    media_block: int = 3  # ...this many turns at a time, so the cached prefix stays valid in between
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_audio_s: float = 30.0
    reuse_prefix: bool = True


class _CancelCriteria:
    """Stops ``generate`` once cancelled; counts tokens produced after that."""

    def __init__(self, cancel: CancelToken) -> None:
        self.cancel = cancel
        self.tokens = 0
        self.tokens_after_cancel = 0

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        self.tokens += 1
        if self.cancel.cancelled:
            self.tokens_after_cancel += 1
        return torch.full((input_ids.shape[0],), self.cancel.cancelled, dtype=torch.bool, device=input_ids.device)


END_TOKENS = ("<|im_end|>", "<|endoftext|>")


def stop_token_ids(tokenizer: Any, generation_config: Any) -> list[int]:
    """The chat template's end tokens plus any eos the generation config names.

    The official checkpoints' thinker, loaded on its own, has no eos in its
    generation config (upstream Qwen2.5-Omni issue 371): without these ids an
    answer would run to ``max_new_tokens`` and invent the user's next turns.
    """
    ids: list[int] = []
    unknown = getattr(tokenizer, "unk_token_id", None)
    for token in END_TOKENS:
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != unknown and token_id not in ids:
            ids.append(token_id)
    configured = getattr(generation_config, "eos_token_id", None)
    for token_id in configured if isinstance(configured, list) else [configured]:
        if isinstance(token_id, int) and token_id not in ids:
            ids.append(token_id)
    return ids


class LocalEngine:
    """Answers ``Turn``s with a loaded Qwen2.5-Omni thinker, reusing the prompt prefix."""

    def __init__(self, loaded: LoadedThinker, settings: GenerationSettings | None = None) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.processor = loaded.processor
        self.settings = settings or GenerationSettings()
        self.tokens = prefix.media_token_ids(self.model.config)
        self.last_stats = TurnStats()
        self.tokens_after_cancel = 0
        self._lock = threading.Lock()
        self._cache: Any = None
        self._cache_ids: torch.Tensor | None = None
        self._cache_media: list[MediaItem] = []
        self.policy = MediaPolicy(
            self.settings.max_pixels, self.settings.max_audio_s, self.settings.media_window, self.settings.media_block
        )
        self.encoder = PromptEncoder(self.processor)
        self.stop_ids = stop_token_ids(self.processor.tokenizer, self.model.generation_config)
        self.adapters = AdapterSet(self.model)
        text_config = self.model.config.get_text_config()
        self._max_context = min(self.settings.max_context, int(text_config.max_position_embeddings))

    def _prepare_history(self, history: list[Message]) -> list[Message]:
        # History normally holds content as sent (already fitted); fitting is idempotent.
        return [
            replace(m, content=self.policy.fit(m.content)) if m.content is not None and m.content.has_media() else m
            for m in history
        ]

    def _budget(self, turn: Turn) -> int:
        return turn.max_new_tokens or self.settings.max_new_tokens

    def _fit_context(self, turn: Turn) -> tuple[EncodedPrompt, Turn]:
        """Processor inputs for ``turn``, dropping the oldest history until it fits."""
        while True:
            messages, media = build_conversation(turn, self.policy.window, self.policy.block)
            encoded = self.encoder.encode(messages, media)
            ids = encoded.ids
            if ids.numel() + self._budget(turn) <= self._max_context:
                return encoded, turn
            if not turn.history:
                raise ContextOverflow(
                    f"This turn needs {ids.numel()} tokens, more than the model's window of {self._max_context}.",
                    "Send a shorter clip or fewer frames, or lower the pixel budget in Settings.",
                )
            drop = 2 if len(turn.history) > 1 else 1
            turn = replace(turn, history=turn.history[drop:])

    # generation ------------------------------------------------------------
    def reset(self) -> None:
        """Forget the cached prefix: a new conversation starts from a clean state."""
        with self._lock:
            self._forget_cache()

    def _reusable_prefix(self, encoded: EncodedPrompt) -> int:
        if not self.settings.reuse_prefix or self._cache is None or self._cache_ids is None:
            return 0
        return prefix.reusable_length(self._cache_ids, self._cache_media, encoded.ids, encoded.media, self.tokens)

    def _prefill_suffix(self, inputs: Any, ids: torch.Tensor, reused: int) -> None:
        """Extend the cropped cache with ``ids[reused:-1]`` at their true 3-D positions."""
        model = self.model
        n = ids.numel()
        feature_mask = inputs.get("feature_attention_mask")
        positions, deltas = model.model.get_rope_index(
            ids[None],
            inputs.get("image_grid_thw"),
            inputs.get("video_grid_thw"),
            torch.ones(1, n, dtype=torch.long),
            False,
            feature_mask.sum(-1) if feature_mask is not None else None,
            inputs.get("video_second_per_grid"),
        )
        surplus = self._cache.get_seq_length() - reused
        if surplus > 0:
            self._cache.crop(-surplus)  # transformers 5 takes the number of tokens to drop
        if n - 1 > reused:
            text_positions = torch.arange(reused, n - 1)[None, None]
            position_ids = torch.cat([text_positions, positions[:, :, reused : n - 1]], dim=0)
            media = prefix.slice_media(inputs, ids, reused, self.tokens)
            with torch.inference_mode():
                model(
                    input_ids=ids[None, reused : n - 1].to(model.device),
                    attention_mask=torch.ones(1, n - 1, dtype=torch.long, device=model.device),
                    position_ids=position_ids.to(model.device),
                    cache=self._cache,
                    use_cache=True,
                    **{k: v.to(model.device) for k, v in media.items()},
                )
        model.model.rope_deltas = deltas.to(model.device)

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield text deltas of the answer to ``turn``; see ``last_stats`` afterwards."""
        from transformers import DynamicCache, StoppingCriteriaList, TextIteratorStreamer

        cancel = cancel or CancelToken()
        stats = TurnStats()
        self.last_stats = stats
        started = time.perf_counter()
        with self._lock:
            # In place: the caller's history message holds the same content, so it keeps what was sent.
            stats.skipped_duplicate_frames = self.policy.prepare(turn)
            turn = replace(turn, history=self._prepare_history(turn.history))
            encoded, turn = self._fit_context(turn)
            inputs, ids = encoded.inputs, encoded.ids
            n = ids.numel()
            reused = self._reusable_prefix(encoded)
            stats.prompt_tokens = n
            stats.reused_prefix_tokens = reused
            stats.prefill_tokens = n - reused
            stats.tokens_by_modality = prefix.tokens_by_modality(ids[reused:], self.tokens)
            device = self.model.device
            if reused:
                self._prefill_suffix(inputs, ids, reused)
                media: dict[str, Any] = {}
            else:
                self._cache = DynamicCache(config=self.model.config.get_text_config())
                media = {k: v.to(device) for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
            streamer = TextIteratorStreamer(
                self.processor.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=0.05
            )
            criteria = _CancelCriteria(cancel)
            sampling = self.settings.temperature > 0
            kwargs: dict[str, Any] = {
                "input_ids": ids[None].to(device),
                "attention_mask": torch.ones(1, n, dtype=torch.long, device=device),
                "cache": self._cache,
                "max_new_tokens": self._budget(turn),
                "min_new_tokens": self.settings.min_new_tokens,
                "do_sample": sampling,
                "streamer": streamer,
                "stopping_criteria": StoppingCriteriaList([criteria]),
                "eos_token_id": self.stop_ids,
                "pad_token_id": self.processor.tokenizer.convert_tokens_to_ids("<|endoftext|>"),
                "return_dict_in_generate": True,
                **media,
            }
            if sampling:
                kwargs.update(temperature=self.settings.temperature, top_p=self.settings.top_p)
            else:
                kwargs.update(temperature=None, top_p=None, top_k=None)
            result: dict[str, Any] = {}
            worker = threading.Thread(target=self._generate, args=(kwargs, result), name="nexus-generate", daemon=True)
            worker.start()
            finished = False
            try:
                yield from self._drain(streamer, worker, cancel, stats, started)
                finished = True
            finally:
                stats.cancelled = cancel.cancelled
                if not finished and not cancel.cancelled:
                    cancel.cancel()  # the consumer stopped early: stop generating too
                worker.join()
                stats.generated_tokens = criteria.tokens
                stats.total_s = time.perf_counter() - started
                self.tokens_after_cancel = criteria.tokens_after_cancel
                self._remember(result, encoded.media)
            if "error" in result:
                raise result["error"]

    def _generate(self, kwargs: dict[str, Any], result: dict[str, Any]) -> None:
        try:
            with torch.inference_mode():
                result["output"] = self.model.generate(**kwargs)
        except BaseException as exc:  # re-raised on the consumer's thread
            result["error"] = exc
            kwargs["streamer"].end()

    @staticmethod
    def _drain(
        streamer: Any, worker: threading.Thread, cancel: CancelToken, stats: TurnStats, started: float
    ) -> Iterator[str]:
        while True:
            if cancel.cancelled:
                return
            try:
                delta = next(streamer)
            except queue.Empty:
                if not worker.is_alive() and streamer.text_queue.empty():
                    return
                continue
            except StopIteration:
                return
            if cancel.cancelled:
                return
            if delta:
                if stats.time_to_first_token_s is None:
                    stats.time_to_first_token_s = time.perf_counter() - started
                yield delta

    def _remember(self, result: dict[str, Any], media: list[MediaItem]) -> None:
        output = result.get("output")
        if output is None or self._cache is None:
            self._forget_cache()
            return
        covered = self._cache.get_seq_length()
        self._cache_ids = output.sequences[0, :covered].detach().cpu()
        self._cache_media = media

    # adapters --------------------------------------------------------------
    def load_adapter(self, name: str, path: Path) -> None:
        """Load a PEFT LoRA adapter next to the base weights (not active until ``use_adapter``)."""
        with self._lock:
            self.adapters.load(name, Path(path))

    def use_adapter(self, name: str | None) -> None:
        """Answer with adapter ``name``, or with the base model when ``None``."""
        with self._lock:
            self.adapters.use(name)
            self._forget_cache()  # cached keys were computed with other weights

    def unload_adapter(self, name: str) -> None:
        """Remove adapter ``name`` from memory."""
        with self._lock:
            self.adapters.unload(name)
            self._forget_cache()

    def _forget_cache(self) -> None:
        self._cache = None
        self._cache_ids = None
        self._cache_media = []

    def describe(self) -> dict[str, str]:
        """Model, layout, dtype, device and memory."""
        from engine.omni.memory import memory_in_use

        params = sum(p.numel() for p in self.model.parameters())
        return {
            "model": str(self.loaded.path),
            "backend": "local",
            "layout": self.loaded.layout,
            "dtype": self.loaded.dtype,
            "device": self.loaded.device,
            "quantized": "GPTQ 4-bit" if self.loaded.quantized else "no",
            "kernel": self.loaded.kernel + (f" ({self.loaded.kernel_note})" if self.loaded.kernel_note else ""),
            "attention": self.loaded.attention,
            "adapter": self.adapters.active or "none",
            "parameters": f"{params / 1e6:.1f} M",
            "memory": memory_in_use(self.loaded.device),
            "load_time": f"{self.loaded.load_seconds:.1f} s",
        }
