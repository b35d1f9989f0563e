# sekret's version, read from its one source: `__version__ = "…"` in src/sekret/__init__.py
# (pyproject.toml reads the same line through setuptools' dynamic metadata).
{ lib }:
let
  lines = lib.splitString "\n" (builtins.readFile ../src/sekret/__init__.py);
  found = lib.findFirst (line: builtins.match ''__version__ = "([^"]+)"'' line != null) null lines;
in
if found == null then
  throw "sekret: no `__version__ = \"…\"` line in src/sekret/__init__.py"
else
  builtins.head (builtins.match ''__version__ = "([^"]+)"'' found)
