"""The import direction and the I/O rule of STYLE.md, checked on the source with ``ast``.

An arrow "a → b" means package a may import package b. Nothing imports upwards, and
only a few named modules may touch the outside world (files, environment, terminal,
processes). A violation names the module, the line and what it used.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "sekret"

#: stdlib-only helpers every part may import (they import nothing of sekret).
HELPERS = {"_sensitive", "_record", "_lazy_re", "_dates"}

#: top-level part of sekret → the parts it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "cli": {"files", "install", "gitcrypt", "hosts", "sops", "stores", "age", "crypto", "errors",
            "pgp", "keyservice", "__init__", "_depth", *HELPERS},
    "files": {"stores", "sops", "age", "pgp", "errors", "_depth", *HELPERS},
    "install": {"files", "sops", "stores", "age", "pgp", "errors", *HELPERS},
    # the user's gpg, for sops pgp keys and sops-nix gnupgHome; the OpenPGP key of an
    # RSA SSH key (sshrsa: its RSA numbers and signature come from crypto)
    "pgp": {"crypto", "errors", *HELPERS},
    "gitcrypt": {"crypto", "age", "errors", *HELPERS},
    "hosts": {"files", "install", "crypto", "age", "errors", *HELPERS},  # config text edits
    "stores": {"sops", "errors", "_depth", *HELPERS},
    "sops": {"age", "crypto", "errors", *HELPERS},
    "keyservice": {"sops", "errors", *HELPERS},  # sops's key service over gRPC (network edge)
    "age": {"crypto", "errors", *HELPERS},
    "crypto": {"errors", *HELPERS},
    "errors": set(),
    "_sensitive": set(),
    "_record": set(),  # @record, the stdlib-only stand-in for @dataclass
    "_lazy_re": set(),  # regexes compiled on first use
    "_dates": set(),  # datetime's types from the C module
    "_depth": {"errors"},  # stack room for deep documents, and the error past it
    "__init__": {"age", "files", "errors", "cli"},
    "__main__": {"cli"},
}

#: Modules that may do I/O (relative to src/sekret), and why.
IO_ALLOWED = {
    "files.py",  # path-level API: atomic writes, editor loop (now the files/ package)
    "install/apply.py",  # writes system paths
    "install/host.py",  # the installer's reads: key files, sources, old generation, NSS users
    "gitcrypt/repo.py",  # runs git
    "age/_plugin_process.py",  # starts age-plugin-NAME programs (the plugin protocol needs a child)
    "pgp/gpg.py",  # runs the user's gpg (sops's pgp master keys)
    "__main__.py",
}
IO_PREFIXES = ("cli/", "files/")  # files.py grew into a package: the path-level API

#: Names whose use means I/O.
IO_CALLS = {"open", "input", "print"}
IO_MODULES = {"subprocess", "getpass", "shutil", "tempfile", "pty", "termios", "tty"}
IO_ATTRS = {
    ("os", "environ"), ("os", "getenv"), ("os", "chown"), ("os", "symlink"),
    ("os", "open"), ("os", "remove"), ("os", "unlink"), ("os", "rename"),
    ("os", "replace"), ("os", "mkdir"), ("os", "makedirs"), ("os", "chmod"),
    ("os", "system"), ("os", "popen"), ("os", "execvp"), ("os", "kill"),
    ("sys", "stdin"), ("sys", "stdout"), ("sys", "stderr"), ("sys", "argv"),
}


def _modules(root: Path = SRC) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _part(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem


def _io_allowed(path: Path, root: Path) -> bool:
    rel = path.relative_to(root).as_posix()
    return rel in IO_ALLOWED or rel.startswith(IO_PREFIXES)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sekret":  # "from sekret import age" imports sekret.age
                found += [(node.lineno, f"sekret.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def test_sources_found() -> None:
    assert len(_modules()) > 10


def import_problems(root: Path) -> list[str]:
    """Every import in ``root`` that goes against the direction table."""
    problems = []
    for path in _modules(root):
        part = _part(path, root)
        rel = path.relative_to(root)
        if part not in ALLOWED:
            problems.append(f"{rel}: add {part!r} to the layering table")
            continue
        tree = ast.parse(path.read_text(), str(path))
        for line, module in _imports(tree):
            if not module.startswith("sekret"):
                if module.startswith("cryptography") and part != "crypto":
                    problems.append(f"{rel}:{line} imports {module}")
                continue
            pieces = module.split(".")
            target = pieces[1] if len(pieces) > 1 else "__init__"
            if target.startswith("__") and target not in ALLOWED:
                target = "__init__"  # a dunder of the package itself (__version__)
            if target != part and target not in ALLOWED[part]:
                problems.append(f"{rel}:{line} imports {module} ({part} → {target})")
    return problems


def io_problems(root: Path) -> list[str]:
    """Every use of I/O in ``root`` outside the modules allowed it."""
    problems = []
    for path in _modules(root):
        if _io_allowed(path, root):
            continue
        tree = ast.parse(path.read_text(), str(path))
        rel = path.relative_to(root)
        for line, module in _imports(tree):
            if module.split(".")[0] in IO_MODULES:
                problems.append(f"{rel}:{line} imports {module}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in IO_CALLS:
                    problems.append(f"{rel}:{node.lineno} calls {node.func.id}()")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (node.value.id, node.attr) in IO_ATTRS:
                    problems.append(f"{rel}:{node.lineno} uses {node.value.id}.{node.attr}")
    return problems


def test_import_direction() -> None:
    problems = import_problems(SRC)
    assert not problems, "imports against the direction of STYLE.md:\n" + "\n".join(problems)


def test_io_rule() -> None:
    problems = io_problems(SRC)
    assert not problems, "I/O outside the modules allowed it:\n" + "\n".join(problems)


def test_checker_catches_planted_violations(tmp_path: Path) -> None:
    """The checker must fail on a planted tree (so the two tests above can fail)."""
    (tmp_path / "age").mkdir()
    (tmp_path / "crypto").mkdir()
    (tmp_path / "age" / "bad.py").write_text(
        "import subprocess\nimport os\nfrom sekret.cli import main\n"
        "from cryptography.hazmat.primitives import hashes\nx = os.environ\nopen('f')\n"
    )
    (tmp_path / "crypto" / "good.py").write_text("from cryptography import x\n")
    imports = import_problems(tmp_path)
    assert any("sekret.cli" in p for p in imports)
    assert any("cryptography.hazmat" in p for p in imports)
    assert not any("good.py" in p for p in imports)
    io = io_problems(tmp_path)
    assert any("subprocess" in p for p in io)
    assert any("os.environ" in p for p in io)
    assert any("open()" in p for p in io)
