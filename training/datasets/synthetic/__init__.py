"""Synthetic "repetitive prompt" samples (prompt-repetition technique, arXiv 2512.14982).

117 categories (50 base, 55 fullstack, 12 recommended) produce questions with
answers that are computed (calculable), looked up in curated tables shipped
in ``data/`` (knowledge) or rendered from entity × stack × constraint
templates (fullstack); each query is sent in one of four repetition styles.

    from training.datasets.synthetic import generate, generate_to_folder, list_categories
"""

from training.datasets.synthetic.generator import (
    SOURCE,
    GenerationCancelled,
    generate,
    generate_to_folder,
    problems,
)
from training.datasets.synthetic.problem import CategoryInfo, Problem
from training.datasets.synthetic.registry import UnknownCategory, get_category, list_categories
from training.datasets.synthetic.repetition import DEFAULT_STYLE_MIX, STYLES, repeat_query

__all__ = [
    "DEFAULT_STYLE_MIX",
    "SOURCE",
    "STYLES",
    "CategoryInfo",
    "GenerationCancelled",
    "Problem",
    "UnknownCategory",
    "generate",
    "generate_to_folder",
    "get_category",
    "list_categories",
    "problems",
    "repeat_query",
]
