"""``.sops.yaml`` edited in place: a host's age recipient in, or out.

Adding host ``web1`` writes ``- &web1 age1…`` as the last item of the top-level
``keys:`` list (made, above ``creation_rules:``, when there is none) and ``*web1`` into
each chosen creation rule: into every key group's ``age:`` (a host that must decrypt
alone at boot needs a share in each group), or the rule's own ``age:`` — whatever form
the list has (block, flow, comma-separated string, a lone alias), or a new ``age:`` when
the rule has none. Removing undoes it: the anchor's item, every ``*web1`` and every
literal copy of its recipient go, and a list left empty goes with its key. Only those
spans change; the result is checked by parsing both texts with sekret's config reader
(:func:`sekret.files.config.parse`): exactly the intended recipients differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sekret._record import record
from sekret.files import config as cfg
from sekret.hosts.yamltext import (
    Edits,
    Node,
    YamlEditError,
    column,
    item_prefix,
    line_after,
    line_start,
    parse,
)

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@record
class Result:
    """The new text and the ``path_regex`` of each creation rule that changed (by index)."""

    text: str
    rules: dict[int, str]
    recipient: str = ""


def _root(text: str) -> Node:
    root = parse(text)
    if root.kind != "map" or root.flow:
        raise YamlEditError("the config is not a block mapping (keys:, creation_rules:)")
    return root


def _rules(root: Node) -> list[Node]:
    pair = root.get("creation_rules")
    if pair is None or pair[1].kind != "seq":
        raise YamlEditError("the config has no creation_rules list",
                            hint="add creation_rules with a path_regex for your secrets")
    return [r for r in pair[1].items if r.kind == "map"]


def _regex(rule: Node) -> str:
    pair = rule.get("path_regex")
    return pair[1].value if pair and pair[1].kind == "scalar" else ""


# --------------------------------------------------------------------------- add


def _add_to_list(ed: Edits, value: Node, alias: str, recipient: str) -> None:
    """Add ``*alias`` to the list ``value`` (or ``recipient`` to a comma string)."""
    text = ed.text
    if value.kind == "seq" and value.flow:
        close = text.rindex("]", value.start, value.end)
        ed.insert(close, f", *{alias}" if value.items else f"*{alias}")
    elif value.kind == "seq":
        ed.insert_line_after(value.items[-1].last_end(),
                             item_prefix(text, value.items[-1]) + f"*{alias}")
    elif value.kind == "alias":
        ed.replace(value.start, value.end, f"[{text[value.start:value.end]}, *{alias}]")
    elif value.kind == "scalar" and value.value == "" and value.style is None:
        ed.insert(value.start, f" [*{alias}]")
    elif value.kind == "scalar" and "\n" not in text[value.start:value.end] and \
            value.style in (None, '"', "'"):
        at = value.end - (1 if value.style else 0)
        ed.insert(at, f",{recipient}")
    else:
        raise YamlEditError("an age: entry is neither a list nor a one-line string",
                            hint="write it as a list ('age: [...]' or '- …' lines)")


def _add_key(ed: Edits, mapping: Node, alias: str) -> None:
    """Add ``age: [*alias]`` to a mapping that has no ``age:``."""
    if mapping.flow:
        close = ed.text.rindex("}", mapping.start, mapping.end)
        ed.insert(close, f", age: [*{alias}]")
        return
    indent = " " * column(ed.text, mapping.pairs[0][0].start)
    ed.insert_line_after(mapping.last_end(), f"{indent}age:\n{indent}  - *{alias}")


def _add_to(ed: Edits, mapping: Node, alias: str, recipient: str) -> bool:
    pair = mapping.get("age")
    if pair is None:
        _add_key(ed, mapping, alias)
        return True
    value = pair[1]
    listed = {p.strip() for n in value.walk() if n.kind == "scalar" for p in n.value.split(",")}
    if alias in {n.value for n in value.walk() if n.kind == "alias"} or recipient in listed:
        return False
    _add_to_list(ed, value, alias, recipient)
    return True


def _add_keys_entry(ed: Edits, root: Node, name: str, recipient: str) -> None:
    text = ed.text
    rules_pair = root.get("creation_rules")
    pair = root.get("keys")
    entry = f"&{name} {recipient}"
    if pair is None:
        at = line_start(text, rules_pair[0].start) if rules_pair else len(text)
        dash = "  - "
        if rules_pair and rules_pair[1].kind == "seq" and rules_pair[1].items:
            first = rules_pair[1].items[0]
            if not rules_pair[1].flow:
                dash = " " * column(text, text.rindex("-", 0, first.start)) + "- "
        lead = "" if at == 0 or text[at - 1] == "\n" else "\n"
        ed.insert(at, f"{lead}keys:\n{dash}{entry}\n")
        return
    key, value = pair
    if rules_pair is not None and key.start > rules_pair[0].start:
        raise YamlEditError("keys: comes after creation_rules:, so an alias to a new "
                            "anchor there would come before the anchor",
                            hint="move the keys: list above creation_rules: and run it again")
    if value.kind == "seq" and value.flow:
        close = text.rindex("]", value.start, value.end)
        ed.insert(close, f", {entry}" if value.items else entry)
    elif value.kind == "seq":
        ed.insert_line_after(value.items[-1].last_end(),
                             item_prefix(text, value.items[-1]) + entry)
    elif value.kind == "scalar" and value.value == "" and value.style is None:
        ed.insert_line_after(key.start, " " * (column(text, key.start) + 2) + "- " + entry)
    else:
        raise YamlEditError("the top-level keys: is not a list",
                            hint="make keys: a list of anchored keys ('- &name age1…')")


def add_host(text: str, name: str, recipient: str, select: Callable[[str], bool]) -> Result:
    """Add ``&name recipient`` to ``keys:`` and ``*name`` to the rules ``select`` picks
    (by ``path_regex``). A rule that already lists the host is left as it is."""
    if not NAME_RE.match(name):
        raise YamlEditError(f"invalid host name {name!r} for a YAML anchor",
                            hint="use letters, digits, '_', '-' and '.'")
    root = _root(text)
    rules = _rules(root)
    ed = Edits(text)
    anchored = [n for n in root.walk() if n.anchor == name]
    if anchored and (anchored[0].kind != "scalar" or anchored[0].value.strip() != recipient):
        raise YamlEditError(f"the config already has an anchor &{name} for another key",
                            hint=f"remove the host first (sekret host rm {name}), or pick "
                            "another name")
    if not anchored:
        _add_keys_entry(ed, root, name, recipient)
    changed: dict[int, str] = {}
    for index, rule in enumerate(rules):
        if not select(_regex(rule)):
            continue
        groups = rule.get("key_groups")
        targets = [g for g in groups[1].items if g.kind == "map"] if groups else [rule]
        if groups and groups[1].kind != "seq":
            raise YamlEditError(f"creation rule {index}: key_groups is not a list")
        added = [_add_to(ed, target, name, recipient) for target in targets]  # each one
        if any(added):
            changed[index] = _regex(rule)
    new = ed.apply()
    _check(text, new, changed, recipient, add=True)
    return Result(new, changed, recipient)


# --------------------------------------------------------------------------- remove


def _remove_item(ed: Edits, seq: Node, item: Node, parent: tuple[Node, Node] | None) -> None:
    text = ed.text
    if seq.flow:
        i = seq.items.index(item)
        if len(seq.items) == 1:
            ed.replace(item.start, item.end, "")
        elif i + 1 < len(seq.items):
            ed.replace(item.start, seq.items[i + 1].start, "")
        else:
            ed.replace(seq.items[i - 1].end, item.end, "")
        return
    if len(seq.items) == 1 and parent is not None:
        # the list would be empty: its key goes too
        ed.replace(line_start(text, parent[0].start), line_after(text, item.last_end()), "")
        return
    ed.replace(line_start(text, item.start), line_after(text, item.last_end()), "")


def _remove_in(ed: Edits, node: Node, name: str, recipient: str,
               parent: tuple[Node, Node] | None = None) -> bool:
    """Remove ``*name`` and ``recipient`` below ``node``; whether anything was."""
    found = False
    if node.kind == "seq":
        for item in node.items:
            if (item.kind == "alias" and item.value == name) or (
                    item.kind == "scalar" and item.value.strip() == recipient):
                _remove_item(ed, node, item, parent)
                found = True
            else:
                found |= _remove_in(ed, item, name, recipient)
    elif node.kind == "map":
        for pair in node.pairs:
            value = pair[1]
            if value.kind == "alias" and value.value == name:
                ed.replace(line_start(ed.text, pair[0].start),
                           line_after(ed.text, value.end), "")
                found = True
            elif value.kind == "scalar" and recipient in value.value.split(",") and \
                    value.style in (None, '"', "'") and "," in value.value:
                raw = ed.text[value.start:value.end]
                at = raw.find(recipient)
                cut = (at - 1, at + len(recipient)) if at > 0 and raw[at - 1] == "," \
                    else (at, at + len(recipient) + 1)
                ed.replace(value.start + cut[0], value.start + cut[1], "")
                found = True
            else:
                found |= _remove_in(ed, value, name, recipient, pair)
    return found


def remove_host(text: str, name: str) -> Result:
    """Remove host ``name``: its ``keys:`` item and every reference to it."""
    root = _root(text)
    anchored = [n for n in root.walk() if n.anchor == name]
    if not anchored or anchored[0].kind != "scalar":
        raise YamlEditError(f"the config has no key &{name}",
                            hint="the host name is its anchor in keys: ('- &NAME age1…')")
    recipient = anchored[0].value.strip()
    ed = Edits(text)
    keys = root.get("keys")
    if keys is None or anchored[0] not in keys[1].items:
        raise YamlEditError(f"&{name} is not an item of the top-level keys: list")
    _remove_item(ed, keys[1], anchored[0], keys)
    changed: dict[int, str] = {}
    for index, rule in enumerate(_rules(root)):
        if _remove_in(ed, rule, name, recipient):
            changed[index] = _regex(rule)
    new = ed.apply()
    _check(text, new, changed, recipient, add=False)
    return Result(new, changed, recipient)


# --------------------------------------------------------------------------- check


def _shape(rule: cfg.CreationRule) -> list[tuple[list[str], list[str]]]:
    return [([k.recipient for k in g.age], [o.identifier() for o in g.others])
            for g in rule.key_groups]


def _check(old: str, new: str, changed: dict[int, str], recipient: str, *, add: bool) -> None:
    """The edit did exactly what it meant to, as sekret's config reader sees it."""
    import yaml

    try:
        before, after = cfg.parse(old, None), cfg.parse(new, None)
        keys = (yaml.safe_load(new) or {}).get("keys") or []
    except (cfg.ConfigError, yaml.YAMLError, AttributeError) as exc:
        raise YamlEditError(f"the edited config does not read back ({type(exc).__name__})",
                            hint="this is a bug in sekret; the config was not changed") from None
    problem = None
    if len(before.rules) != len(after.rules):
        problem = "the number of rules changed"
    elif add != (recipient in [k for k in keys if isinstance(k, str)]):
        problem = "the keys: list is not as intended"
    for i, (b, a) in enumerate(zip(before.rules, after.rules, strict=False)):
        want = _shape(b)
        if i in changed:
            want = [([*ages, recipient] if add and recipient not in ages else
                     [k for k in ages if k != recipient] if not add else ages, others)
                    for ages, others in want]
        got = _shape(a)
        if add and i in changed:  # the host may go at another place in a comma string
            got = [(sorted(g), o) for g, o in got]
            want = [(sorted(g), o) for g, o in want]
        if got != want or (b.path_regex, b.shamir_threshold) != (a.path_regex, a.shamir_threshold):
            problem = f"creation rule {i} is not as intended"
    if problem:
        raise YamlEditError(f"cannot edit the config in place: {problem}",
                            hint="this is a bug in sekret; the config was not changed")
