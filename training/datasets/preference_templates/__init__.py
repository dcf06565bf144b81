"""The templates of the synthetic preference generator, one module per category family.

A template takes a ``random.Random`` and returns ``(prompt, chosen, rejected)``;
``TEMPLATES`` maps each of the 20 categories to its templates.
"""

from __future__ import annotations

from training.datasets.preference_templates import code_review, code_runtime, instructions, reasoning, safety
from training.datasets.preference_templates.text import PairText, Template

TEMPLATES: dict[str, tuple[Template, ...]] = {
    **code_runtime.TEMPLATES,
    **code_review.TEMPLATES,
    **instructions.TEMPLATES,
    **reasoning.TEMPLATES,
    **safety.TEMPLATES,
}

__all__ = ["TEMPLATES", "PairText", "Template"]
