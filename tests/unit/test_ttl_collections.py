"""Every StateStore collection written with a TTL has a Firestore TTL policy in Terraform.

Firestore deletes expired documents only in collection groups that have a TTL policy on
`_expires_at`; the StateStore already hides expired documents from reads, so a missing policy
never shows in behaviour, only as storage that grows forever. This reads the code (every
`.set/.create/.increment/.increment_many(<collection>, ..., ttl_s=...)` outside the adapters)
and the platform module's default `ttl_collections`, and asks that the first cover the second.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from convonet.manifest import REPO_ROOT

PACKAGE = REPO_ROOT / "shared" / "convonet"
ADAPTERS = PACKAGE / "state"
PLATFORM_VARIABLES = REPO_ROOT / "terraform" / "modules" / "platform" / "variables.tf"
WRITES = {"set", "create", "increment", "increment_many"}


def _string_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        if isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _collections_with_ttl(path: Path) -> tuple[set[str], list[str]]:
    """(collections written with a TTL, writes whose collection is not a literal or constant)."""
    tree = ast.parse(path.read_text(), str(path))
    constants = _string_constants(tree)
    found: set[str] = set()
    unresolved: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        ttl = next((k.value for k in node.keywords if k.arg == "ttl_s"), None)
        if node.func.attr not in WRITES or ttl is None or not node.args:
            continue
        if isinstance(ttl, ast.Constant) and ttl.value is None:
            continue
        collection = node.args[0]
        if isinstance(collection, ast.Constant) and isinstance(collection.value, str):
            found.add(collection.value)
        elif isinstance(collection, ast.Name) and collection.id in constants:
            found.add(constants[collection.id])
        else:
            unresolved.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    return found, unresolved


def _terraform_ttl_collections() -> set[str]:
    text = PLATFORM_VARIABLES.read_text()
    block = re.search(r"ttl_collections\s*=\s*optional\(list\(string\),\s*\[(.*?)\]\)", text, re.S)
    assert block is not None, "the platform module lost its ttl_collections default"
    return set(re.findall(r'"([^"]+)"', block.group(1)))


def _code_ttl_collections() -> tuple[set[str], list[str]]:
    found: set[str] = set()
    unresolved: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ADAPTERS in path.parents:
            continue
        more, unknown = _collections_with_ttl(path)
        found |= more
        unresolved += unknown
    return found, unresolved


def test_every_collection_written_with_a_ttl_has_a_ttl_policy() -> None:
    in_code, unresolved = _code_ttl_collections()
    assert unresolved == [], "name the collection with a module constant so this test sees it"
    assert len(in_code) > 10  # the scan found the code's writes
    assert sorted(in_code - _terraform_ttl_collections()) == []


def test_every_ttl_policy_names_a_collection_the_code_expires() -> None:
    in_code, _ = _code_ttl_collections()
    assert sorted(_terraform_ttl_collections() - in_code) == []
