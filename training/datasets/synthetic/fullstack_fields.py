"""Template variables for an entity: its names in every case style and its fields rendered per stack.

A field type (string, text, integer, boolean, date, datetime) maps to one
type per target (Pydantic, SQLAlchemy, Django, Mongoose, TypeScript, Zod,
PostgreSQL, GraphQL, Prisma, HTML inputs), so one entity row yields model
code that is correct for each stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from training.datasets.synthetic.data import table
from training.datasets.synthetic.formatting import article


@dataclass(frozen=True)
class FieldType:
    """How one abstract field type is written for each target."""

    py: str
    sa: str
    dj: str
    mongoose: str
    ts: str
    zod: str
    sql: str
    gql: str
    prisma: str
    html: str  # the <input type> (text fields use a <textarea> instead)


FIELD_TYPES: dict[str, FieldType] = {
    "string": FieldType(
        "str",
        "String(200)",
        "models.CharField(max_length=200)",
        "String",
        "string",
        "z.string().min(1).max(200)",
        "varchar(200) NOT NULL",
        "String!",
        "String",
        "text",
    ),
    "text": FieldType(
        "str",
        "Text",
        "models.TextField()",
        "String",
        "string",
        "z.string()",
        "text NOT NULL",
        "String!",
        "String",
        "textarea",
    ),
    "integer": FieldType(
        "int",
        "Integer",
        "models.IntegerField()",
        "Number",
        "number",
        "z.number().int()",
        "integer NOT NULL",
        "Int!",
        "Int",
        "number",
    ),
    "boolean": FieldType(
        "bool",
        "Boolean",
        "models.BooleanField(default=False)",
        "Boolean",
        "boolean",
        "z.boolean()",
        "boolean NOT NULL DEFAULT false",
        "Boolean!",
        "Boolean",
        "checkbox",
    ),
    "date": FieldType(
        "date",
        "Date",
        "models.DateField()",
        "Date",
        "string",
        "z.coerce.date()",
        "date NOT NULL",
        "String!",
        "DateTime",
        "date",
    ),
    "datetime": FieldType(
        "datetime",
        "DateTime(timezone=True)",
        "models.DateTimeField()",
        "Date",
        "string",
        "z.coerce.date()",
        "timestamptz NOT NULL",
        "String!",
        "DateTime",
        "datetime-local",
    ),
}

SAMPLE_STRINGS = {
    "number": "INV-1001",
    "sku": "SKU-4411",
    "reference": "REF-7Q2K",
    "title": "First draft",
    "guest_name": "Ana Silva",
    "full_name": "Ana Silva",
    "email": "ana@example.com",
    "plan": "pro",
    "tracking_number": "1Z999AA10123456784",
    "carrier": "DHL",
    "headline": "Works as described",
    "name": "Spring edition",
    "venue": "Hall B",
    "serial_number": "SN-000123",
    "firmware_version": "2.4.1",
    "description": "Train ticket",
    "make": "Volvo",
    "plate_number": "AB-123-CD",
    "status": "pending",
}
SAMPLE_INTEGERS = {
    "amount_cents": 12500,
    "price_cents": 1999,
    "total_cents": 4599,
    "priority": 2,
    "guests": 2,
    "seats": 5,
    "duration_minutes": 30,
    "rating": 4,
    "credits": 3,
    "capacity": 120,
    "mileage_km": 42000,
    "servings": 4,
}


def camel(snake: str) -> str:
    """``due_date`` → ``dueDate``."""
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def pascal(snake: str) -> str:
    """``support_ticket`` → ``SupportTicket``."""
    return "".join(part.capitalize() for part in snake.split("_"))


def sample_value(name: str, kind: str) -> object:
    """A plausible example value for a field."""
    if kind == "string":
        return SAMPLE_STRINGS.get(name, f"{name.replace('_', ' ')} 1")
    if kind == "text":
        return "A longer free-text note."
    if kind == "integer":
        return SAMPLE_INTEGERS.get(name, 1)
    if kind == "boolean":
        return False
    return "2025-03-01" if kind == "date" else "2025-03-01T09:30:00Z"


def jsx_input(name: str, kind: str) -> str:
    """A labelled JSX form control for a field (a textarea for long text)."""
    label = name.replace("_", " ").capitalize()
    if kind == "text":
        return f'<label>{label} <textarea name="{camel(name)}" /></label>'
    return f'<label>{label} <input name="{camel(name)}" type="{FIELD_TYPES[kind].html}" /></label>'


def rhf_input(name: str, kind: str) -> str:
    """A react-hook-form control for a field, with its error message."""
    label, key = name.replace("_", " ").capitalize(), camel(name)
    if kind == "text":
        control = f"<textarea {{...register('{key}')}} />"
    elif kind == "integer":
        control = f"<input type=\"number\" {{...register('{key}', {{ valueAsNumber: true }})}} />"
    else:
        control = f"<input type=\"{FIELD_TYPES[kind].html}\" {{...register('{key}')}} />"
    return (
        f"<label>\n  {label}\n  {control}\n</label>\n"
        f'{{errors.{key} && <p role="alert">{{errors.{key}.message}}</p>}}'
    )


def vue_input(name: str, kind: str) -> str:
    """A v-model bound form control for a field."""
    label, key = name.replace("_", " ").capitalize(), camel(name)
    if kind == "text":
        return f'<label>{label} <textarea v-model="form.{key}" /></label>'
    model = "v-model.number" if kind == "integer" else "v-model"
    return f'<label>{label} <input {model}="form.{key}" type="{FIELD_TYPES[kind].html}" /></label>'


def _lines(template: str, fields: list[tuple[str, str]], **extra: str) -> str:
    """One line per field, from a format string with {name}, {camel}, {t} (a FieldType) and extras."""
    return "\n".join(
        template.format(
            name=name,
            camel=camel(name),
            t=FIELD_TYPES[kind],
            label=name.replace("_", " ").capitalize(),
            **extra,
        )
        for name, kind in fields
    )


@cache
def entity_vars(name: str) -> dict[str, str]:
    """Every template variable derived from the entity called ``name`` in ``data/entities.json``."""
    row = next(r for r in table("entities") if r["name"] == name)
    fields: list[tuple[str, str]] = [(f, k) for f, k in row["fields"]]
    singular, plural, parent, parents = row["name"], row["plural"], row["parent"], row["parents"]
    words = singular.replace("_", " ")
    label = row["label"]
    label_kind = dict(fields)[label]
    example = {name: sample_value(name, kind) for name, kind in fields}
    example_camel = {camel(k): v for k, v in example.items()}
    first_int = next((f for f, k in fields if k == "integer"), None)
    first_bool = next((f for f, k in fields if k == "boolean"), None)
    first_date = next((f for f, k in fields if k in ("date", "datetime")), None)
    vars_: dict[str, str] = {
        "entity": singular,
        "entities": plural,
        "Entity": pascal(singular),
        "Entities": pascal(plural),
        "entityCamel": camel(singular),
        "entitiesCamel": camel(plural),
        "entity_kebab": singular.replace("_", "-"),
        "entities_kebab": plural.replace("_", "-"),
        "entity_words": words,
        "entities_words": plural.replace("_", " "),
        "a_entity": f"{article(words)} {words}",
        "ENTITY": singular.upper(),
        "parent": parent,
        "parents": parents,
        "Parent": pascal(parent),
        "parentCamel": camel(parent),
        "parent_words": parent.replace("_", " "),
        "parent_id": f"{parent}_id",
        "parentId": f"{camel(parent)}Id",
        "label": label,
        "labelCamel": camel(label),
        "label_words": label.replace("_", " "),
        "Label_words": label.replace("_", " ").capitalize(),
        "Entity_words": words.capitalize(),
        "label_py": FIELD_TYPES[label_kind].py,
        "int_field": first_int or "id",
        "intFieldCamel": camel(first_int or "id"),
        "bool_field": first_bool or "archived",
        "boolFieldCamel": camel(first_bool or "archived"),
        "date_field": first_date or "created_at",
        "dateFieldCamel": camel(first_date or "created_at"),
        "field_list": ", ".join(f for f, _ in fields),
        "fieldsCamel_list": ", ".join(camel(f) for f, _ in fields),
        "field_count": str(len(fields)),
        "fields_quoted": ", ".join(f'"{f}"' for f, _ in fields),
        "py_fields": _lines("{name}: {t.py}", fields),
        "py_optional_fields": _lines("{name}: {t.py} | None = None", fields),
        "sa_columns": _lines("{name}: Mapped[{t.py}] = mapped_column({t.sa})", fields),
        "dj_fields": _lines("{name} = {t.dj}", fields),
        "mongoose_fields": _lines("{camel}: {{ type: {t.mongoose}, required: true }},", fields),
        "ts_fields": _lines("{camel}: {t.ts};", fields),
        "zod_fields": _lines("{camel}: {t.zod},", fields),
        "sql_columns": _lines("{name} {t.sql},", fields),
        "gql_fields": _lines("{camel}: {t.gql}", fields),
        "prisma_fields": _lines("{camel} {t.prisma}", fields),
        "jsx_inputs": "\n".join(jsx_input(name, kind) for name, kind in fields),
        "rhf_inputs": "\n".join(rhf_input(name, kind) for name, kind in fields),
        "vue_inputs": "\n".join(vue_input(name, kind) for name, kind in fields),
        "json_example": json.dumps(example),
        "json_example_camel": json.dumps(example_camel),
        "py_example": repr(example),
        "js_doc_fields": ", ".join(f"{camel(f)}: doc.{camel(f)}" for f, _ in fields),
        "js_example": ", ".join(f"{k}: {json.dumps(v)}" for k, v in example_camel.items()),
        "label_example": json.dumps(example[label]),
    }
    return vars_


def entity_names() -> list[str]:
    """The names of every entity in the table."""
    return [row["name"] for row in table("entities")]
