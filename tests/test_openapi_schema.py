"""The committed OpenAPI schema (docs/openapi.yaml) is the API contract: regenerate it
with `make schema` when the API changes on purpose."""

from pathlib import Path

from django.core.management import call_command

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


def test_generated_schema_matches_the_committed_one_and_has_no_warnings(tmp_path):
    generated = tmp_path / "openapi.yaml"
    # --fail-on-warn makes any drf-spectacular warning or error fail this test.
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert generated.read_text() == SCHEMA_FILE.read_text(), (
        "The API schema changed. If that is intended, run `make schema` and commit docs/openapi.yaml."
    )
