"""The project index: which source file an imported name comes from, never importing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from session_lint.project.index import Definition, ProjectIndex
from session_lint.project.layout import absolute_module, find_project, module_name


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def index_for(file: Path) -> ProjectIndex:
    return ProjectIndex(find_project(file))


@pytest.fixture
def flat(tmp_path: Path) -> Path:
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'x'\n",
            "app/__init__.py": "from .payloads import base_payload\nfrom . import sessions\n",
            "app/payloads.py": "def base_payload():\n    return {}\n",
            "app/sessions.py": "from app.context import *\n",
            "app/context.py": "__all__ = ['current']\ndef current(): ...\ndef _hidden(): ...\n",
            "app/calls/__init__.py": "",
            "app/calls/run.py": "from ..payloads import base_payload\n",
            "app/cycle_a.py": "from app.cycle_b import loop\n",
            "app/cycle_b.py": "from app.cycle_a import loop\n",
        },
    )
    return tmp_path


def test_module_names_follow_the_package_chain(flat: Path) -> None:
    assert module_name(flat / "app/calls/run.py") == "app.calls.run"
    assert module_name(flat / "app/__init__.py") == "app"
    assert absolute_module(flat / "app/calls/run.py", "payloads", 2) == "app.payloads"
    assert absolute_module(flat / "app/calls/__init__.py", "", 1) == "app.calls"
    assert absolute_module(flat / "app/payloads.py", "x", 3) is None  # climbs out


def test_a_name_is_followed_through_re_exports(flat: Path) -> None:
    index = index_for(flat / "app/calls/run.py")
    payloads = flat.resolve() / "app/payloads.py"
    assert index.locate("app", "base_payload") == Definition(
        "app.payloads", payloads, "base_payload"
    )
    assert index.locate("app.calls.run", "base_payload") == index.locate("app", "base_payload")
    assert index.locate_dotted("app.payloads.base_payload") == index.locate("app", "base_payload")


def test_star_imports_bind_what_all_names(flat: Path) -> None:
    index = index_for(flat / "app/payloads.py")
    context = flat.resolve() / "app/context.py"
    assert index.locate("app.sessions", "current") == Definition("app.context", context, "current")
    assert index.locate("app.sessions", "_hidden") is None
    # a module attribute chain: ``app.sessions`` is a submodule bound in ``app``
    assert index.locate_dotted("app.sessions.current") == Definition(
        "app.context", context, "current"
    )


def test_a_submodule_is_a_definition_of_a_module(flat: Path) -> None:
    index = index_for(flat / "app/payloads.py")
    found = index.locate("app", "sessions")
    assert found is not None and found.name is None and found.module == "app.sessions"


def test_an_import_cycle_terminates_with_no_definition(flat: Path) -> None:
    assert index_for(flat / "app/payloads.py").locate("app.cycle_a", "loop") is None


def test_modules_outside_the_project_stay_opaque(flat: Path) -> None:
    index = index_for(flat / "app/payloads.py")
    assert index.module_file("json") is None
    assert index.locate("os.path", "join") is None
    assert index.locate_dotted("requests.post") is None


def test_a_src_layout_and_a_namespace_package(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "src/lib/__init__.py": "",
            "src/lib/builders.py": "def build():\n    return {}\n",
            "src/ns/part/helpers.py": "def helper(): ...\n",  # ``ns`` has no __init__.py
            "scripts/tool.py": "import lib.builders\n",
        },
    )
    for start in ("src/lib/builders.py", "scripts/tool.py"):
        index = index_for(tmp_path / start)
        assert index.locate("lib.builders", "build") is not None
        assert index.locate("ns.part.helpers", "helper") is not None


def test_configured_source_folders(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.cfg": "",
            "python/lib/shared/keys.py": "SESSION = 'session_id'\n",
            "app/main.py": "",
        },
    )
    assert index_for(tmp_path / "app/main.py").module_file("shared.keys") is None
    project = find_project(tmp_path / "app/main.py", src=(".", "python/lib"))
    assert ProjectIndex(project).locate("shared.keys", "SESSION") is not None


def test_the_last_binding_wins_and_guarded_imports_count(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "pkg/__init__.py": (
                "try:\n    from .fast import pick\nexcept ImportError:\n    pick = None\n"
                "from .slow import pick\n"
            ),
            "pkg/fast.py": "def pick(): ...\n",
            "pkg/slow.py": "def pick(): ...\n",
            "pkg/broken.py": "def (:\n",
        },
    )
    index = index_for(tmp_path / "pkg/__init__.py")
    found = index.locate("pkg", "pick")
    assert found is not None and found.module == "pkg.slow"
    assert index.locate("pkg.broken", "anything") is None


def test_all_is_replaced_extended_or_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "pkg/__init__.py": "",
            "pkg/extended.py": "__all__ = ['a']\n__all__ += ['b']\ndef a(): ...\ndef b(): ...\n",
            "pkg/replaced.py": "__all__ = ['a']\n__all__ = ['b']\ndef a(): ...\ndef b(): ...\n",
            "pkg/computed.py": "__all__ = names()\ndef a(): ...\ndef _b(): ...\n",
            "pkg/star_extended.py": "from .extended import *\n",
            "pkg/star_replaced.py": "from .replaced import *\n",
            "pkg/star_computed.py": "from .computed import *\n",
        },
    )
    index = index_for(tmp_path / "pkg/__init__.py")
    found = {
        (module, name): index.locate(f"pkg.star_{module}", name) is not None
        for module in ("extended", "replaced", "computed")
        for name in ("a", "b", "_b")
    }
    assert {key for key, located in found.items() if located} == {
        ("extended", "a"),
        ("extended", "b"),
        ("replaced", "b"),
        ("computed", "a"),  # unknown __all__: the public names
    }
