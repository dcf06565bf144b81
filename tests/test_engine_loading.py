"""Loader: typed errors, GPTQ-int4 checkpoints in both layouts, adapter hot swap."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.omni.errors import AdapterError, CudaUnavailable, ModelLoadError, WrongArchitecture
from engine.omni.loader import detect_layout, load_thinker
from engine.omni.local import GenerationSettings, LocalEngine
from engine.omni.turn import Turn, UserContent

GREEDY = GenerationSettings(max_new_tokens=8, min_new_tokens=8, temperature=0.0)


def ask(engine: LocalEngine, text: str = "Describe the screen.") -> str:
    image = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    engine.reset()  # a fresh conversation: the same frame is not skipped as a duplicate
    return "".join(engine.stream(Turn(UserContent(text, images=[image]))))


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError) as err:
        load_thinker(tmp_path, "cpu")
    assert "config.json" in err.value.message and "Local folder" in err.value.hint


def test_wrong_architecture_is_named(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(WrongArchitecture) as err:
        detect_layout(tmp_path)
    assert "'llama'" in err.value.message


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_setting_without_a_gpu(tiny_thinker_dir: Path) -> None:
    with pytest.raises(CudaUnavailable) as err:
        load_thinker(tiny_thinker_dir, "cuda")
    assert "CPU" in err.value.hint


def test_missing_weights_are_a_clear_error(tiny_thinker_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in tiny_thinker_dir.iterdir():
        if not item.name.endswith(".safetensors"):
            (broken / item.name).write_bytes(item.read_bytes())
    with pytest.raises(ModelLoadError) as err:
        load_thinker(broken, "cpu")
    assert "verify" in err.value.hint


@pytest.mark.slow
@pytest.mark.parametrize("official_layout", [False, True], ids=["thinker-layout", "official-layout"])
def test_gptq_int4_checkpoint_loads_and_answers(fixture_cache: Path, official_layout: bool) -> None:
    from tests.tiny_omni import cached_tiny_gptq_thinker

    folder = cached_tiny_gptq_thinker(fixture_cache, official_layout=official_layout)
    loaded = load_thinker(folder, "cpu")
    assert loaded.quantized
    assert loaded.layout == ("official" if official_layout else "thinker")
    quantized = [m for m in loaded.model.modules() if hasattr(m, "qweight")]
    assert len(quantized) == 7 * loaded.model.config.get_text_config().num_hidden_layers
    engine = LocalEngine(loaded, GREEDY)
    assert ask(engine)
    assert engine.last_stats.generated_tokens == 8
    assert engine.describe()["quantized"] == "GPTQ 4-bit"


def make_adapter(tiny_thinker_dir: Path, out: Path) -> Path:
    """A random (non-zero) LoRA adapter for the tiny thinker, saved with plain peft."""
    from peft import LoraConfig, get_peft_model
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    torch.manual_seed(0)
    base = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(tiny_thinker_dir)
    config = LoraConfig(
        r=8,
        lora_alpha=64,
        target_modules=r".*language_model.*\.(q_proj|v_proj|o_proj|down_proj)",
        init_lora_weights=False,
    )
    get_peft_model(base, config).save_pretrained(out)
    return out


def test_adapter_hot_swap_changes_the_answer_and_back(tiny_thinker_dir: Path, tmp_path: Path) -> None:
    adapter = make_adapter(tiny_thinker_dir, tmp_path / "adapter")
    engine = LocalEngine(load_thinker(tiny_thinker_dir, "cpu"), GREEDY)
    model_before = engine.model
    base_answer = ask(engine)
    engine.load_adapter("mine", adapter)
    assert ask(engine) == base_answer, "a loaded adapter is inactive until chosen"
    engine.use_adapter("mine")
    tuned_answer = ask(engine)
    engine.use_adapter(None)
    back_answer = ask(engine)
    assert tuned_answer != base_answer
    assert back_answer == base_answer
    assert engine.model is model_before, "the base model must not be reloaded"
    engine.unload_adapter("mine")
    with pytest.raises(AdapterError):
        engine.use_adapter("mine")


def test_a_folder_that_is_not_an_adapter_is_refused(tiny_loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = LocalEngine(tiny_loaded, GREEDY)
    with pytest.raises(AdapterError) as err:
        engine.load_adapter("x", tmp_path)
    assert "adapter_config.json" in err.value.message
