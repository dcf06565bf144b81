"""Loader: progress stages, kernel and attention in LoadedThinker, GPTQ backend fallback, and load
failures that name their real cause, each from a real tiny checkpoint damaged in a temporary copy."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine import paths
from engine.omni.errors import CorruptWeights, GptqKernelError, ModelLoadError, UnsupportedDtype
from engine.omni.loader import (
    STAGE_CONFIG,
    STAGE_KERNELS,
    STAGE_PROCESSOR,
    STAGE_WEIGHTS,
    explain_load_failure,
    load_thinker,
)


@pytest.fixture(scope="module")
def tiny_gptq_thinker_dir(fixture_cache: Path) -> Path:
    """The tiny thinker quantized to GPTQ 4-bit by gptqmodel (thinker layout)."""
    from tests.tiny_omni import cached_tiny_gptq_thinker

    return cached_tiny_gptq_thinker(fixture_cache)


def copy_of(source: Path, target: Path, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A copy of the checkpoint ``source`` whose config.json ``edit`` may change."""
    shutil.copytree(source, target)
    if edit is not None:
        config = json.loads((target / "config.json").read_text())
        edit(config)
        (target / "config.json").write_text(json.dumps(config))
    return target


def quantized_layer_classes(model: torch.nn.Module) -> set[str]:
    return {type(m).__name__ for m in model.modules() if hasattr(m, "qweight")}


# ----- stages, kernel, attention ---------------------------------------------------


def test_unquantized_load_reports_its_stages_kernel_and_attention(tiny_thinker_dir: Path) -> None:
    stages: list[str] = []
    loaded = load_thinker(tiny_thinker_dir, "cpu", progress=stages.append)
    assert stages == [STAGE_CONFIG, STAGE_WEIGHTS, STAGE_PROCESSOR]
    assert loaded.kernel == "none" and loaded.gptq_backend == "" and loaded.kernel_note == ""
    assert loaded.attention == loaded.model.config._attn_implementation
    assert loaded.dtype == "bfloat16"


@pytest.mark.slow
def test_gptq_load_prepares_kernels_before_the_weights(tiny_gptq_thinker_dir: Path) -> None:
    stages: list[str] = []
    loaded = load_thinker(tiny_gptq_thinker_dir, "cpu", progress=stages.append)
    assert stages == [STAGE_CONFIG, STAGE_KERNELS, STAGE_WEIGHTS, STAGE_PROCESSOR]
    assert loaded.gptq_backend == "auto" and loaded.kernel_note == ""
    assert quantized_layer_classes(loaded.model) == {loaded.kernel}
    assert loaded.kernel.startswith("Torch"), "a CPU kernel of gptqmodel"


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="Marlin may work on a GPU; this checks the CPU refusal")
def test_a_gptq_backend_that_cannot_run_falls_back_to_one_that_does(
    tiny_gptq_thinker_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="engine.omni.loader")
    stages: list[str] = []
    loaded = load_thinker(tiny_gptq_thinker_dir, "cpu", progress=stages.append, gptq_backend="marlin")
    assert stages.count(STAGE_KERNELS) == 2, "marlin first, then auto"
    assert loaded.gptq_backend == "auto"
    assert quantized_layer_classes(loaded.model) == {loaded.kernel}
    assert "'marlin'" in loaded.kernel_note and "CUDA" in loaded.kernel_note
    assert loaded.kernel_note in caplog.text
    assert f"kernel {loaded.kernel}" in caplog.text and "bfloat16" in caplog.text


@pytest.mark.slow
def test_trainable_gptq_layers_use_a_trainable_kernel(tiny_gptq_thinker_dir: Path) -> None:
    loaded = load_thinker(tiny_gptq_thinker_dir, "cpu", trainable=True)
    assert loaded.gptq_backend == "auto_trainable"
    layer = next(m for m in loaded.model.modules() if hasattr(m, "qweight"))
    assert type(layer).__name__ == loaded.kernel and type(layer).SUPPORTS_TRAINING


# ----- failures that name their cause ------------------------------------------------


def test_truncated_weights_are_named(tiny_thinker_dir: Path, tmp_path: Path) -> None:
    broken = copy_of(tiny_thinker_dir, tmp_path / "broken")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(CorruptWeights) as err:
        load_thinker(broken, "cpu")
    assert "model.safetensors is truncated" in err.value.message
    assert "nexus-cli models verify" in err.value.hint


def test_a_damaged_safetensors_header_is_named(tiny_thinker_dir: Path, tmp_path: Path) -> None:
    broken = copy_of(tiny_thinker_dir, tmp_path / "broken")
    weights = broken / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:8] + b"#" * 16 + data[24:])
    with pytest.raises(CorruptWeights) as err:
        load_thinker(broken, "cpu")
    assert "model.safetensors is damaged" in err.value.message


def test_a_missing_shard_is_named(tiny_thinker_dir: Path, tmp_path: Path) -> None:
    sharded = copy_of(tiny_thinker_dir, tmp_path / "sharded")
    tensors = load_file(sharded / "model.safetensors")
    (sharded / "model.safetensors").unlink()
    names = sorted(tensors)
    weight_map = {}
    for number, part in enumerate((names[: len(names) // 2], names[len(names) // 2 :]), start=1):
        shard = f"model-0000{number}-of-00002.safetensors"
        save_file({name: tensors[name] for name in part}, sharded / shard, metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(part, shard))
    (sharded / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    assert load_thinker(sharded, "cpu").dtype == "bfloat16", "the sharded copy itself loads"
    (sharded / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(CorruptWeights) as err:
        load_thinker(sharded, "cpu")
    assert "missing 1 of its 2 weight files: model-00002-of-00002.safetensors" in err.value.message


@pytest.mark.slow
def test_a_group_size_no_gptq_kernel_supports_names_the_kernels_tried(
    tiny_gptq_thinker_dir: Path, tmp_path: Path
) -> None:
    broken = copy_of(
        tiny_gptq_thinker_dir, tmp_path / "broken", lambda c: c["quantization_config"].update(group_size=100)
    )
    with pytest.raises(GptqKernelError) as err:
        load_thinker(broken, "cpu")
    assert "backend 'auto'" in err.value.message and "backend 'torch'" in err.value.message
    assert "TorchLinear" in err.value.message and "group_size" in err.value.message
    assert "quantization_config" in err.value.hint and "doctor" in err.value.hint


@pytest.mark.slow
def test_a_group_size_that_does_not_match_the_weights_is_named(tiny_gptq_thinker_dir: Path, tmp_path: Path) -> None:
    broken = copy_of(
        tiny_gptq_thinker_dir, tmp_path / "broken", lambda c: c["quantization_config"].update(group_size=64)
    )
    with pytest.raises(CorruptWeights) as err:
        load_thinker(broken, "cpu")
    assert "do not match its config.json" in err.value.message and "group_size" in err.value.message


def test_impossible_bits_are_refused_before_loading(tiny_thinker_dir: Path, tmp_path: Path) -> None:
    quantization = {"quant_method": "gptq", "bits": 5, "group_size": 32, "desc_act": False, "sym": True}
    broken = copy_of(tiny_thinker_dir, tmp_path / "broken", lambda c: c.update(quantization_config=quantization))
    with pytest.raises(ModelLoadError) as err:
        load_thinker(broken, "cpu")
    assert "bits=5" in err.value.message and "config.json" in err.value.hint


def test_a_dtype_the_thinker_cannot_use_is_named(tiny_thinker_dir: Path, tmp_path: Path) -> None:
    broken = copy_of(tiny_thinker_dir, tmp_path / "broken", lambda c: c.update(dtype="int8"))
    with pytest.raises(UnsupportedDtype) as err:
        load_thinker(broken, "cpu")
    assert "int8" in err.value.message and "float16" in err.value.hint


def test_a_kernel_without_the_dtype_suggests_float16(tmp_path: Path) -> None:
    eight_bit = torch.ones(4, 4).to(torch.float8_e4m3fn)
    with pytest.raises(NotImplementedError) as raised:
        torch.nn.functional.layer_norm(eight_bit, (4,))
    error = explain_load_failure(raised.value, tmp_path, "cuda")
    assert isinstance(error, UnsupportedDtype)
    assert "Float8" in error.message and "float16" in error.hint


def test_other_failures_keep_the_exception_text_and_give_the_log_path(
    tiny_thinker_dir: Path, tmp_path: Path
) -> None:
    broken = copy_of(
        tiny_thinker_dir, tmp_path / "broken", lambda c: c["text_config"].update(hidden_size="wide")
    )
    with pytest.raises(ModelLoadError) as err:
        load_thinker(broken, "cpu")
    assert type(err.value) is ModelLoadError
    assert "hidden_size" in err.value.message
    assert str(paths.log_dir() / "nexus.log") in err.value.hint
