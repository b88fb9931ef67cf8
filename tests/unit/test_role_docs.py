"""Role READMEs against meta/argument_specs.yml (scripts/role_docs.py).

A README whose generated "Variables" section no longer matches the spec fails here,
naming the role; `make docs` brings it back. The specs themselves must describe and
type every option, at any depth, since the tables and `ansible-doc -t role` show them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if (path / "tasks").is_dir())


def load_role_docs():
    # scripts/ is not a package (nor collection content): load the file itself.
    spec = importlib.util.spec_from_file_location("role_docs", ROOT / "scripts" / "role_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


role_docs = load_role_docs()


def walk_options(options: dict, path: str):
    for name, option in (options or {}).items():
        yield f"{path}.{name}", option or {}
        yield from walk_options((option or {}).get("options"), f"{path}.{name}")


def test_every_role_has_an_argument_spec():
    assert ROLES, "no roles found"
    assert role_docs.role_names(ROOT) == ROLES


@pytest.mark.parametrize("role", ROLES)
def test_readme_has_the_generated_section(role):
    text = (ROOT / "roles" / role / "README.md").read_text(encoding="utf-8")
    assert role_docs.BEGIN in text
    assert role_docs.END in text
    # Hand-written prose comes first, the generated section after it.
    assert text.startswith(f"# bespin.platform.{role}\n")
    assert text.index(role_docs.BEGIN) < text.index(role_docs.END)


@pytest.mark.parametrize("role", ROLES)
def test_readme_is_up_to_date(role):
    _path, current, wanted = role_docs.expected_readme(ROOT, role)
    assert current == wanted, f"roles/{role}/README.md is out of date: run `make docs`"


@pytest.mark.parametrize("role", ROLES)
def test_every_option_has_a_description_and_a_type(role):
    specs = role_docs.load_specs(ROOT / "roles" / role)
    assert "main" in specs
    missing = []
    for entry, spec in specs.items():
        assert (spec or {}).get("short_description"), f"{role} entry point {entry}: no short_description"
        for path, option in walk_options(spec.get("options"), entry):
            missing += [f"{path}: no {field}" for field in ("type", "description") if not option.get(field)]
    assert not missing, f"{role}: " + "; ".join(missing)


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_in_the_readme(role):
    text = (ROOT / "roles" / role / "README.md").read_text(encoding="utf-8")
    for entry, spec in role_docs.load_specs(ROOT / "roles" / role).items():
        for name in spec.get("options") or {}:
            assert f"| `{name}` |" in text, f"{role} ({entry}): {name} missing from README.md"


MADE_UP = {
    "main": {
        "short_description": "A role made up for the test",
        "options": {
            "made_up_option": {
                "type": "list",
                "elements": "str",
                "default": ["a", "b"],
                "description": ["Pipes | must not break the table.", "A second sentence."],
            },
            "made_up_required": {"type": "str", "required": True, "description": "Needed, C(always)."},
            "made_up_choice": {"type": "int", "choices": [1, 2, 3, 4, 5], "default": 3, "description": "A level."},
            "made_up_long": {
                "type": "dict",
                "default": {"key": "a value long enough to be pointed to rather than printed"},
                "description": "Long default.",
                "options": {"key": {"type": "str", "description": "A sub-option."}},
            },
        },
    },
    "other": {
        "short_description": "Another entry point",
        "options": {"made_up_other": {"type": "bool", "default": False, "description": "Only here."}},
    },
}


def test_renderer_puts_a_made_up_option_in_its_table():
    section = role_docs.render_section("made_up", MADE_UP, {})
    lines = section.splitlines()
    assert lines[0] == role_docs.BEGIN
    assert lines[-1] == role_docs.END
    assert (
        "| `made_up_option` | list of str | `[a, b]` |  | Pipes \\| must not break the table. A second sentence. |"
        in lines
    )
    assert "| `made_up_required` | str | **required** |  | Needed, `always`. |" in lines
    assert "| `made_up_choice` | int | `3` | `1` to `5` | A level. |" in lines
    assert "| `made_up_long` | dict | see `defaults/main.yml` |  | Long default. |" in lines
    assert "| `made_up_long.key` | str |  |  | A sub-option. |" in lines
    assert "### Entry point `other`" in lines
    assert "| `made_up_other` | bool | `false` |  | Only here. |" in lines
    # Every table row has exactly five cells: no unescaped pipe split one.
    for line in lines:
        if line.startswith("| `"):
            assert len(line.replace("\\|", "").split("|")[1:-1]) == 5, line


def test_renderer_is_deterministic():
    assert role_docs.render_section("made_up", MADE_UP, {}) == role_docs.render_section("made_up", MADE_UP, {})


def test_long_description_is_cut_to_its_first_sentence():
    text = "First sentence, e.g. dr.<zone> stays whole. " + "Second sentence. " * 20
    assert role_docs.description({"description": text}) == "First sentence, e.g. dr.&lt;zone&gt; stays whole."


def test_update_replaces_only_the_section():
    prose = "# bespin.platform.made_up\n\nHand-written prose.\n"
    first = role_docs.update_readme(prose, role_docs.render_section("made_up", MADE_UP, {}))
    assert first.startswith(prose)
    changed = {
        **MADE_UP,
        "main": {**MADE_UP["main"], "options": {"new_option": {"type": "str", "description": "New."}}},
    }
    second = role_docs.update_readme(first + "\nTrailing prose.\n", role_docs.render_section("made_up", changed, {}))
    assert second.startswith(prose)
    assert second.endswith("\nTrailing prose.\n")
    assert "`new_option`" in second
    assert "`made_up_option`" not in second
    assert second.count(role_docs.BEGIN) == 1


def test_check_fails_on_a_stale_readme(tmp_path):
    role_dir = tmp_path / "roles" / "made_up"
    (role_dir / "meta").mkdir(parents=True)
    (role_dir / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    short_description: Made up\n    options:\n"
        "      made_up_option: {type: str, description: One.}\n",
        encoding="utf-8",
    )
    (role_dir / "README.md").write_text("# bespin.platform.made_up\n\nProse.\n", encoding="utf-8")
    assert role_docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert role_docs.main(["--root", str(tmp_path)]) == 0
    assert role_docs.main(["--check", "--root", str(tmp_path)]) == 0
    assert "| `made_up_option` | str |" in (role_dir / "README.md").read_text(encoding="utf-8")


def test_check_command_passes_on_the_checkout():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "role_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
