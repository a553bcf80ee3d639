"""How often the name operators propose the human's name, on identifier fixes of the library's
training projects (never the held-out repositories of accuracy_bench.py).

    PYTHONPATH=. python benchmarks/operator_bench.py --mirrors DIR [--cache DIR] [--n 400] [--seed 0]

The edits come from the same collection as `scripts/build_library.py` (same sources, same
`--cache`). Two samples are drawn with a fixed seed:

- variable fixes: an edit that replaces one name by another anywhere but after a dot
  (`similar_name`);
- attribute-name fixes: an edit that changes only the name after a dot (`obj.warning` ->
  `obj.debug`), for `similar_attribute`.

For each, the parent revision's file is read from the clone, the operator runs at the edit's
line as `suggest` runs it (region parse, same weights), and the human's new name counts as found
at rank k when it is the k-th rewrite of the changed node by weight. "In the file" is the
ceiling: the new name occurs in the parent file at all (as a variable, or as an attribute).
"""

from __future__ import annotations

import argparse
import ast
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_library  # noqa: E402

from repairbot.matching.match import Target, UnreadableFile  # noqa: E402
from repairbot.matching.operators import similar_attribute, similar_name  # noqa: E402
from repairbot.mining.engine import make_engine  # noqa: E402
from repairbot.tree import SLOT, Tree  # noqa: E402
from repairbot.types import Edit, EditKind  # noqa: E402


def slot_role(ctx: Tree | None) -> tuple[str | None, str | None] | None:
    """(parent kind, field) of the edit's slot in its context."""
    stack: list[tuple[Tree, Tree | None, str | None]] = [(ctx, None, None)] if ctx is not None else []
    while stack:
        t, parent, field = stack.pop()
        if t.kind == SLOT:
            return (parent.kind if parent is not None else None, field)
        stack.extend((c, t, f) for f, c in zip(t.fields, t.children))
    return None


def samples(edits: list[tuple[str, Edit]], n: int, seed: int) -> tuple[list, list]:
    bare = [(r, e) for r, e in edits if e.kind == EditKind.EXPR and e.before.kind == e.after.kind == "Name"]
    names = [(r, e) for r, e in bare if slot_role(e.context) != ("Attribute", "attr")]
    attrs = [(r, e) for r, e in bare if slot_role(e.context) == ("Attribute", "attr")]
    rng = random.Random(seed)
    return rng.sample(names, min(n, len(names))), rng.sample(attrs, min(n, len(attrs)))


def parent_source(mirror: Path, e: Edit) -> str | None:
    r = subprocess.run(["git", "-C", str(mirror), "show", f"{e.commit}^:{e.file}"], capture_output=True)
    if r.returncode:
        return None
    try:
        return r.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None


def rank_of(op, target: Target, line: int, old: str, new: str) -> tuple[int | None, int]:
    got = [(w, o, n) for o, n, w in op(target, {line})]
    order = sorted(range(len(got)), key=lambda i: -got[i][0])  # stable: the operator's own order on ties
    for k, i in enumerate(order):
        w, o, n = got[i]
        if _name(o) == old and getattr(n, "value", None) == new:
            return k + 1, len(got)
    return None, len(got)


def _name(t: Tree) -> str | None:
    return t.value if t.kind == "Name" else None


def evaluate(label: str, op, cases: list[tuple[str, Edit]], mirrors: dict[str, Path], tmp: Path) -> None:
    ranks: Counter[int | None] = Counter()
    in_file = n = 0
    counts: list[int] = []
    for repo, e in cases:
        src = parent_source(mirrors[repo], e)
        if src is None:
            continue
        old, new = e.before.value, e.after.value
        path = tmp / f"{n}.py"
        path.write_text(src, encoding="utf-8")
        try:
            target = Target.read_around(path, {e.line})
            tree = ast.parse(src)
        except (UnreadableFile, SyntaxError, ValueError):
            continue
        n += 1
        used = {x.id for x in ast.walk(tree) if isinstance(x, ast.Name)} | \
            {x.attr for x in ast.walk(tree) if isinstance(x, ast.Attribute)}
        in_file += new in used
        r, k = rank_of(op, target, e.line, old or "", new or "")
        ranks[r] += 1
        counts.append(k)

    def top(k: int) -> int:
        return sum(v for r, v in ranks.items() if r is not None and r <= k)

    counts.sort()
    print(f"{label}: {n} fixes; human's name at rank 1: {top(1)}, top 3: {top(3)}, top 5: {top(5)}; "
          f"new name in the parent file at all: {in_file}; rewrites per line median "
          f"{counts[len(counts) // 2] if counts else 0}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, required=True)
    ap.add_argument("--sources", type=Path, default=ROOT / "patterns" / "sources.txt")
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    specs = build_library.specs_from_sources(args.sources, args.mirrors, False)
    with make_engine("local", args.jobs, None) as engine:
        collected = build_library.collect_cached(specs, engine, args.cache)
    edits = [(s.name, e) for s, c in zip(specs, collected) for e in c.edits]
    mirrors = {s.name: Path(s.path) for s in specs}
    names, attrs = samples(edits, args.n, args.seed)
    print(f"{len(edits)} edits from {len(specs)} projects; samples: {len(names)} variable fixes, "
          f"{len(attrs)} attribute-name fixes (seed {args.seed})")
    with tempfile.TemporaryDirectory(prefix="rb-opbench-") as tmp:
        evaluate("similar_name on variable fixes", similar_name, names, mirrors, Path(tmp))
        evaluate("similar_attribute on attribute-name fixes", similar_attribute, attrs, mirrors, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
