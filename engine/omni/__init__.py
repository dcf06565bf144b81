"""The in-process Qwen2.5-Omni thinker: loading, turns, streaming, cancel, budget, adapters."""
