"""What each layer pulls in when it is imported, checked in a fresh interpreter (as harlequin does).

import-linter (run by .ci/run) checks the import graph statically; these tests check what actually lands in
`sys.modules`: the CLI starts without the Azure SDK or Textual, the steps, the engine and the core load no UI
toolkit, and the screens never load the App module.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest


def _loaded(imports: str, prefixes: tuple[str, ...]) -> list[str]:
    code = (f"import sys; {imports}; "
            f"print(sorted(m for m in sys.modules if m.startswith({prefixes!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return ast.literal_eval(out)  # a list literal printed by the child


def test_entry_point_imports_no_azure_sdk_or_textual():
    assert _loaded("import wizard.cli", ("azure", "textual", "questionary", "httpx", "dns")) == []


STEP_MODULES = ("a_record", "approval", "dns_zone", "inputs", "private_endpoint", "vnet_link", "teardown", "verify",
                "registry")


@pytest.mark.parametrize("imports", [
    "import steps; " + "; ".join(f"import steps.{m}" for m in STEP_MODULES),
    "import wizard.engine",
    "import wizard.core.config, wizard.core.record, wizard.core.azure, wizard.core.errors, wizard.core.states",
    "import wizard.console, wizard.report, wizard.export",
], ids=["steps", "engine", "core", "console-report-export"])
def test_layers_below_the_front_ends_load_no_ui(imports):
    assert _loaded(imports, ("textual", "questionary", "prompt_toolkit", "screens", "wizard.tui", "wizard.plain",
                             "wizard.cli", "wizard.sandbox")) == []


def test_screens_never_load_the_app_module():
    assert _loaded("import screens.base, screens.start, screens.create, screens.verify", ("wizard.tui",)) == []


def test_no_module_imports_itself_round_a_circle():
    """No cycle among the modules of wizard, steps and screens, counting every import (inside functions and
    under TYPE_CHECKING too): strongly connected components of grimp's graph (grimp comes with import-linter,
    which `.ci/run` installs)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("wizard", "steps", "screens")
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert len(graph.modules) > 80 and cycles == []
