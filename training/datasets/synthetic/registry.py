"""The category registry: every category's name, domain, group, section, kind and builder.

The names are the ones users know from the design conversation (50 base, 55
fullstack and 12 recommended categories); recipes refer to them, so they
never change.
"""

from __future__ import annotations

from functools import cache

from training.datasets.synthetic import (
    base_daily,
    base_geography,
    base_math,
    base_science,
    base_technology,
    fullstack,
)
from training.datasets.synthetic.problem import Builder, Category, CategoryInfo, Group, Kind

FULLSTACK_DOMAIN = "fullstack_engineering"

# domain → categories, in the order of the design conversation
BASE: dict[str, tuple[str, ...]] = {
    "math": (
        "basic_arithmetic",
        "percentage_calc",
        "unit_conversion",
        "geometry",
        "statistics",
        "algebra",
        "compound_interest",
        "distance_calc",
        "time_calc",
        "currency_convert",
    ),
    "science": (
        "chemistry",
        "physics",
        "biology",
        "astronomy",
        "periodic_table",
        "scientific_notation",
        "energy_calc",
        "density_calc",
        "ph_calc",
        "speed_calc",
    ),
    "geography_history": (
        "capital_cities",
        "population",
        "historical_events",
        "time_zones",
        "country_facts",
        "language_facts",
        "currency_info",
        "coordinates",
        "area_calc",
        "historical_dates",
    ),
    "technology": (
        "file_size_convert",
        "bandwidth_calc",
        "storage_calc",
        "programming_basics",
        "algorithm_complexity",
        "data_structures",
        "networking",
        "encoding",
        "hash_functions",
        "binary_operations",
    ),
    "business_daily": (
        "bmi_calc",
        "calorie_burn",
        "tip_calc",
        "tax_calc",
        "budget_calc",
        "recipe_scale",
        "temp_conversion",
        "sports_stats",
        "age_calc",
        "date_diff",
    ),
}

# section → categories
FULLSTACK: dict[str, tuple[str, ...]] = {
    "architecture": (
        "fs_arch_monolith_vs_microservices",
        "fs_arch_layered",
        "fs_arch_clean_hexagonal",
        "fs_arch_event_driven",
        "fs_arch_scalability_patterns",
        "fs_arch_observability",
    ),
    "backend_api": (
        "fs_api_rest_crud",
        "fs_api_rest_errors",
        "fs_api_pagination",
        "fs_api_graphql_schema",
        "fs_api_async_jobs",
        "fs_api_validation_schemas",
        "fs_api_file_uploads",
        "fs_api_rate_limiting",
    ),
    "database": (
        "fs_db_schema_design",
        "fs_db_relations",
        "fs_db_migrations",
        "fs_db_indexes",
        "fs_db_multi_tenancy",
        "fs_db_transactions",
    ),
    "frontend_ui": (
        "fs_ui_crud_forms",
        "fs_ui_data_tables",
        "fs_ui_state_management",
        "fs_ui_routing",
        "fs_ui_accessibility",
        "fs_ui_design_systems",
        "fs_ui_client_fetching",
    ),
    "auth_security": (
        "fs_auth_session_vs_jwt",
        "fs_auth_rbac_abac",
        "fs_auth_input_sanitization",
        "fs_auth_password_flows",
        "fs_auth_oauth_oidc",
        "fs_auth_audit_logging",
    ),
    "devops": (
        "fs_devops_dockerization",
        "fs_devops_compose_k8s",
        "fs_devops_ci_cd",
        "fs_devops_env_config",
        "fs_devops_monitoring",
        "fs_devops_zero_downtime",
    ),
    "testing": (
        "fs_test_unit",
        "fs_test_integration",
        "fs_test_e2e",
        "fs_test_fixtures",
        "fs_test_performance",
        "fs_test_quality_guidelines",
    ),
    "refactoring": (
        "fs_refactor_extract_function",
        "fs_refactor_extract_module",
        "fs_refactor_rename",
        "fs_refactor_reduce_duplication",
        "fs_refactor_api_cleanup",
    ),
    "project_scaffolding": (
        "fs_proj_readme",
        "fs_proj_folder_structure",
        "fs_proj_coding_guidelines",
        "fs_proj_onboarding_docs",
        "fs_proj_release_process",
    ),
}

RECOMMENDED: tuple[str, ...] = (
    "fs_api_websockets",
    "fs_error_handling_patterns",
    "fs_tracing_observability",
    "fs_caching_strategies",
    "fs_message_queues",
    "fs_search_indexing",
    "fs_data_validation_pipelines",
    "fs_rate_limiting_throttling",
    "fs_monitoring_alerting",
    "fs_feature_flags_ab_testing",
    "fs_backwards_compatibility",
    "fs_capacity_planning",
)


class UnknownCategory(KeyError):
    """A category name the registry does not know."""

    def __str__(self) -> str:
        return f"unknown synthetic category {self.args[0]!r}"


@cache
def _registry() -> dict[str, Category]:
    builders: dict[str, tuple[Kind, Builder]] = {}
    for module in (base_math, base_science, base_geography, base_technology, base_daily):
        builders |= module.BUILDERS
    templates = fullstack.builders()
    found: dict[str, Category] = {}

    def add(name: str, domain: str, group: Group, section: str, kind: Kind, build: Builder) -> None:
        found[name] = Category(CategoryInfo(name, domain, group, section, kind), build)

    for domain, names in BASE.items():
        for name in names:
            kind, build = builders[name]
            add(name, domain, "base", domain, kind, build)
    for section, names in FULLSTACK.items():
        for name in names:
            add(name, FULLSTACK_DOMAIN, "fullstack", section, "template", templates[name][1])
    for name in RECOMMENDED:
        add(name, FULLSTACK_DOMAIN, "recommended", templates[name][0], "template", templates[name][1])
    extra = sorted(set(builders) - set(found)) + sorted(set(templates) - set(found))
    if extra:
        raise RuntimeError(f"builders without a registered category name: {extra}")
    return found


def list_categories() -> list[CategoryInfo]:
    """Every category in registry order: the 50 base, then the 55 fullstack, then the 12 recommended."""
    return [category.info for category in _registry().values()]


def get_category(name: str) -> Category:
    """The registered category called ``name`` (UnknownCategory if there is none)."""
    try:
        return _registry()[name]
    except KeyError:
        raise UnknownCategory(name) from None
