"""Reading documents: what is refused, with which message, and what is resolved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from accord import compat


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: [3.0\n", "not valid YAML or JSON at line 2, column 1"),
        ("swagger: '2.0'\npaths: {}\n", "not an OpenAPI 3.0 or 3.1 document (swagger 2.0)"),
        ("- a\n- b\n", "not an OpenAPI 3.0 or 3.1 document (the document is a list, not a map)"),
        ("info: {}\npaths: {}\n", "not an OpenAPI 3.0 or 3.1 document (no `openapi` field)"),
        ("openapi: 2.5.0\npaths: {}\n", "not an OpenAPI 3.0 or 3.1 document (openapi '2.5.0')"),
        (HEAD + "paths: []\n", "`paths` is not a map"),
        (
            HEAD
            + "paths: {/a: {get: {responses: {200: {$ref: '#/components/responses/Nope'}}}}}\n",
            "unresolved $ref #/components/responses/Nope",
        ),
        (
            HEAD + "paths: {/a: {get: {responses: {200: {$ref: 'https://example.org/r.yaml'}}}}}\n",
            "remote $ref https://example.org/r.yaml is not supported",
        ),
    ],
)
def test_unreadable_documents_are_refused_with_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "api.yaml", text)
    with pytest.raises(compat.SpecError) as caught:
        compat.load(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(compat.SpecError, match="cannot read"):
        compat.load(tmp_path / "absent.yaml")


def test_a_reference_to_a_missing_file_is_unresolved(tmp_path: Path) -> None:
    path = write(tmp_path, "api.yaml", HEAD + "paths: {/a: {$ref: 'paths.yaml#/A'}}\n")
    with pytest.raises(compat.SpecError, match=r"unresolved \$ref paths.yaml#/A"):
        compat.load(path)


def test_a_missing_pointer_in_another_file_is_unresolved(tmp_path: Path) -> None:
    write(tmp_path, "paths.yaml", "B: {}\n")
    path = write(tmp_path, "api.yaml", HEAD + "paths: {/a: {$ref: 'paths.yaml#/A'}}\n")
    with pytest.raises(compat.SpecError, match="unresolved"):
        compat.load(path)


def test_references_resolve_relative_to_the_file_that_names_them(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    write(
        tmp_path,
        "parts/paths.yaml",
        "A:\n  get:\n    responses: {200: {$ref: 'responses.yaml#/Ok'}}\n",
    )
    write(
        tmp_path,
        "parts/responses.yaml",
        "Ok: {description: ok, content: {text/plain: {schema: {$ref: '#/S'}}}}\n"
        "S: {type: string}\n",
    )
    base = compat.load(
        write(tmp_path, "api.yaml", HEAD + "paths: {/a: {$ref: 'parts/paths.yaml#/A'}}\n")
    )
    write(
        tmp_path,
        "parts/responses2.yaml",
        "Ok: {description: ok, content: {text/plain: {schema: {type: integer}}}}\n",
    )
    write(
        tmp_path,
        "parts/paths2.yaml",
        "A:\n  get:\n    responses: {200: {$ref: 'responses2.yaml#/Ok'}}\n",
    )
    revision = compat.load(
        write(tmp_path, "api2.yaml", HEAD + "paths: {/a: {$ref: 'parts/paths2.yaml#/A'}}\n")
    )
    (change,) = compat.diff(base, revision)
    assert (change.id, change.operation) == ("response-body-type-changed", "GET /a")


def test_files_that_refer_to_each_other_load(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "A: {type: object, properties: {b: {$ref: 'b.yaml#/B'}}}\n")
    write(tmp_path, "b.yaml", "B: {type: object, properties: {a: {$ref: 'a.yaml#/A'}}}\n")
    text = HEAD + (
        "paths: {/a: {get: {responses: {200: {description: ok, content: "
        "{application/json: {schema: {$ref: 'a.yaml#/A'}}}}}}}}\n"
    )
    spec = compat.load(write(tmp_path, "api.yaml", text))
    assert compat.diff(spec, spec) == []


def test_a_chain_of_references_that_loops_is_refused(tmp_path: Path) -> None:
    text = HEAD + (
        "paths: {/a: {get: {responses: {200: {$ref: '#/components/responses/A'}}}}}\n"
        "components: {responses: {A: {$ref: '#/components/responses/B'}, "
        "B: {$ref: '#/components/responses/A'}}}\n"
    )
    spec = compat.load(write(tmp_path, "api.yaml", text))
    with pytest.raises(compat.SpecError, match="circular"):
        compat.diff(spec, spec)


def test_yaml_integer_status_keys_match_json_strings(tmp_path: Path) -> None:
    yml = compat.load(
        write(
            tmp_path, "a.yaml", HEAD + "paths: {/a: {get: {responses: {200: {description: ok}}}}}\n"
        )
    )
    jsn = compat.load(
        write(
            tmp_path,
            "a.json",
            '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},'
            ' "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}',
        )
    )
    assert compat.diff(yml, jsn) == []
    assert jsn.info_version == "1" and yml.version == "3.0.3"


SHARED = (
    HEAD
    + """paths:
  /a:
    get:
      responses:
        '200': &ok
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /b:
    get:
      responses:
        '200': *ok
components:
  schemas:
    Pet: {type: object, properties: {name: {type: string, maxLength: %d}}}
"""
)


def test_a_node_yaml_shares_through_an_alias_resolves_once_and_compares(tmp_path: Path) -> None:
    base = compat.load(write(tmp_path, "a.yaml", SHARED % 10))
    revision = compat.load(write(tmp_path, "b.yaml", SHARED % 20))
    found = [(c.id, c.operation) for c in compat.diff(base, revision)]
    assert found == [
        ("response-body-max-length-increased", "GET /a"),
        ("response-body-max-length-increased", "GET /b"),
    ]


def test_json_and_yaml_forms_of_a_document_with_refs_are_equal(tmp_path: Path) -> None:
    doc = yaml.safe_load(SHARED % 10)
    as_json = compat.load(write(tmp_path, "a.json", json.dumps(doc)))
    as_yaml = compat.load(write(tmp_path, "a.yaml", SHARED % 10))
    assert compat.diff(as_json, as_yaml) == []
    assert as_json.root["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Pet"}
