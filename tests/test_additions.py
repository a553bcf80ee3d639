"""The operators that add a small piece borrowed from the file (repairbot/matching/additions.py)."""

from __future__ import annotations

from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern.builtin import builtin_patterns

OPS = {p.guard: compile_pattern(p) for p in builtin_patterns() if p.guard}


def _ranked(code: str, op: str, lines: set[int] | None = None) -> list[str]:
    """The operator's rewrites, best first, as the changed lines of each."""
    target = Target.parse(code)
    out = [r for r in rewrites(target, [OPS[op]], lines) if isinstance(r, Applied)]
    out.sort(key=lambda r: -r.weight)
    old = code.splitlines()
    return ["\n".join(ln for ln in r.new_source.splitlines() if ln not in old).strip() for r in out]


def test_wrap_conversion_offers_the_files_own_conversions_first():
    code = ("from pathlib import Path\nimport os\na = Path(x)\nb = Path(y)\nc = os.path.realpath(z)\n"
            "d = os.path.realpath(w)\nprint(v)\nprint(u)\nrequirements = parse(path)\n")
    out = _ranked(code, "wrap_conversion", {9})
    assert out[:2] == ["requirements = parse(Path(path))", "requirements = parse(os.path.realpath(path))"]
    assert "requirements = parse(str(path))" in out  # str and int are always offered
    assert not any("print(" in o for o in out)  # a call made for its effect is no conversion
    # never a conversion of a conversion, never a constant
    assert _ranked("n = str(x)\nm = str(y)\nk = f(str(z), None)\n", "wrap_conversion", {3}) == [
        "k = str(f(str(z), None))", "k = int(f(str(z), None))"]
    assert not any("int(None)" in o for o in _ranked("k = f(None)\n", "wrap_conversion"))


def test_wrap_conversion_ranks_compared_values_above_other_operands():
    out = _ranked("def f(ts):\n    return (time.time() - START) < ts\n", "wrap_conversion", {2})
    assert out[0] in ("return (time.time() - START) < int(ts)", "return (time.time() - START) < str(ts)")


def test_widen_types_adds_a_companion_type_or_a_caught_exception():
    assert _ranked("if isinstance(v, str): pass\n", "widen_types") == ["if isinstance(v, (str, bytes)): pass"]
    assert _ranked("ok = isinstance(v, (list, set))\n", "widen_types") == [
        "ok = isinstance(v, (list, set, tuple))", "ok = isinstance(v, (list, set, frozenset))"]
    assert _ranked("ok = isinstance(v, Custom)\n", "widen_types") == []  # no companion known
    code = "try:\n    a()\nexcept ImportError:\n    pass\ntry:\n    b()\nexcept OSError:\n    pass\n"
    out = _ranked(code, "widen_types", {3})
    assert out[0] == "except (ImportError, OSError):"  # the file's own first, then common ones
    assert set(out[1:]) <= {f"except (ImportError, {e}):" for e in ("AttributeError", "TypeError", "ValueError",
                                                                    "KeyError")}
    assert _ranked("try:\n    a()\nexcept:\n    pass\n", "widen_types") == []  # a bare except catches all
    assert _ranked(code, "widen_types", {4}) == []  # a line in the handler's body is not its header


def test_guard_statement_guards_by_the_values_a_statement_uses():
    code = "class A:\n    def f(self, data):\n        # send it\n        self.out.write(data)\n"
    target = Target.parse(code)
    (r,) = [r for r in rewrites(target, [OPS["guard_statement"]], {4}) if isinstance(r, Applied)]
    assert r.new_source == ("class A:\n    def f(self, data):\n        # send it\n        if data:\n"
                            "            self.out.write(data)\n")
    assert _ranked("def f(p):\n    p.msg = self.errmsg\n", "guard_statement", {2}) == [
        "if self.errmsg:\n        p.msg = self.errmsg"]
    assert _ranked("def f():\n    go(1, None)\n", "guard_statement") == []  # nothing to test
    assert _ranked("go(x)\n", "guard_statement") == []  # module level is not a block body here


def test_flip_slice_plain_assignment_unquote_and_literal_identity():
    assert _ranked("tail = s[:n]\nhead = s[1:n]\n", "flip_slice") == ["tail = s[n:]"]
    assert _ranked("def f(self):\n    self.seen += n\n", "plain_assignment") == [
        "self.seen = n", "self.seen -= n"]
    assert _ranked("x *= 2\n", "plain_assignment") == ["x = 2"]
    code = "def f(obj):\n    return hasattr('obj', 'missing')\n"
    assert _ranked(code, "unquote_name") == ["return hasattr(obj, 'missing')"]  # 'missing' names nothing
    assert _ranked("f('class')\nclass_ = 1\n", "unquote_name") == []  # a keyword is never a name
    assert _ranked("ok = t.type is not 'data' and u is None\n", "literal_identity") == [
        "ok = t.type != 'data' and u is None"]
    assert _ranked("ok = a is b\n", "literal_identity") == []


def test_any_annotation_uses_the_files_spelling_and_only_where_any_is_used():
    code = "import typing as t\nx: t.Any\ndef get(k: str) -> t.List[str]: ...\n"
    out = _ranked(code, "any_annotation", {3})
    assert out[:2] in (["def get(k: t.Any) -> t.List[str]: ...", "def get(k: str) -> t.Any: ..."],
                       ["def get(k: str) -> t.Any: ...", "def get(k: t.Any) -> t.List[str]: ..."])
    assert "def get(k: str) -> t.List[t.Any]: ..." in out
    assert _ranked("def get(k: str) -> str: ...\n", "any_annotation") == []  # the file never says Any


def test_forward_parameter_passes_on_what_the_callee_accepts_in_the_functions_order():
    code = ("def make(a, b=0, c=0, d=0): ...\n"
            "def outer(a, b, c, d):\n    return make(a, b=b, d=d)\n")
    assert _ranked(code, "forward_parameter", {3}) == ["return make(a, b=b, c=c, d=d)"]
    # the callee's signature unknown: other calls to it, or a call that already forwards two
    code = "def outer(x, y, z):\n    run(x=x, y=y)\n"
    assert _ranked(code, "forward_parameter", {2}) == ["run(x=x, y=y, z=z)"]
    assert _ranked("def outer(x, z):\n    run(x=x)\n", "forward_parameter", {2}) == []
    assert _ranked("def outer(x, z):\n    run(x)\nrun(1, z=2)\n", "forward_parameter", {2}) == ["run(x, z=z)"]
    # never a parameter the callee lacks, one already given by position, or through **kwargs
    code = "class C:\n    def m(self, p, q, r): ...\n    def n(self, p, q, r, s):\n        self.m(p, r=r)\n"
    assert _ranked(code, "forward_parameter", {4}) == ["self.m(p, q=q, r=r)"]  # not p again, in order
    assert _ranked("def outer(x, z):\n    run(x=x, **kw)\nrun(z=1)\n", "forward_parameter", {2}) == []


def test_forward_parameter_keeps_a_call_laid_out_one_argument_per_line():
    code = ("def outer(a, b, c):\n    return run(\n        a=a,\n        c=c,\n    )\nrun(b=1)\n")
    target = Target.parse(code)
    (r,) = [r for r in rewrites(target, [OPS["forward_parameter"]], {2, 3, 4, 5}) if isinstance(r, Applied)]
    assert r.new_source.startswith("def outer(a, b, c):\n    return run(\n        a=a,\n        b=b,\n        c=c,\n    )\n")


def test_swap_conversion_and_variadic_tuple():
    assert _ranked("ms = round(t)\n", "swap_conversion") == ["ms = int(t)", "ms = float(t)"]
    assert _ranked("xs = f(ys)\n", "swap_conversion") == []
    assert _ranked("def f(a: Tuple[str], b: tuple[int, ...], c: t.Tuple[()]): ...\n", "variadic_tuple") == [
        "def f(a: Tuple[str, ...], b: tuple[int, ...], c: t.Tuple[()]): ..."]


def test_precondition_checks_first_what_a_test_relies_on():
    out = _ranked('if "k" in scope["ext"]: pass\n', "precondition")
    assert out[0] == 'if "ext" in scope and "k" in scope["ext"]: pass'
    assert 'if scope is not None and "k" in scope["ext"]: pass' in out
    out = _ranked("if self.last > t - 0.5: pass\n", "precondition")
    assert out[0] == "if self.last is not None and self.last > t - 0.5: pass"
    # in an `and` chain the check goes just before the operand that needs it (and parses back)
    out = _ranked("if ok and x not in self.seen.names: pass\n", "precondition")
    assert out[0] == "if ok and self.seen is not None and x not in self.seen.names: pass"
    assert "if ok and self.seen.names is not None and x not in self.seen.names: pass" in out
    # an `or` test is parenthesised; a check already made is not repeated; self is never None
    assert _ranked("while node.parent or x: pass\n", "precondition")[0] == \
        "while node is not None and (node.parent or x): pass"
    assert not any(o.count("node is not None") > 1 for o in
                   _ranked("if node is not None and node.x: pass\n", "precondition"))
    assert _ranked("if self.x: pass\n", "precondition") == []


def test_import_path_makes_an_import_relative_or_drops_leading_parts():
    assert _ranked("from toml.decoder import load\n", "import_path") == [
        "from .decoder import load", "from . import load", "from .toml.decoder import load"]
    # a lone module: Python 2's implicit relative import made explicit comes first
    assert _ranked("from cli import main\n", "import_path") == ["from .cli import main", "from . import main"]
    assert _ranked("from .packages.urllib3.contrib import ssl\n", "import_path") == [
        "from packages.urllib3.contrib import ssl", "from urllib3.contrib import ssl", "from contrib import ssl"]
    assert _ranked("import os\n", "import_path") == []


def test_any_annotation_gives_a_bare_generic_its_parameters():
    code = "import typing as t\nz: t.Any\ndef f(file: t.Optional[t.IO] = None, d: dict = None): ...\n"
    out = _ranked(code, "any_annotation", {3})
    assert "def f(file: t.Optional[t.IO[t.Any]] = None, d: dict = None): ..." in out
    assert "def f(file: t.Optional[t.IO] = None, d: dict[t.Any, t.Any] = None): ..." in out
    assert not any("IO[t.Any]]" in o and "t.IO" not in o for o in out)  # never inside `t.IO`


def test_empty_default_iterates_a_missing_collection_as_empty():
    assert _ranked("for f in dist.files:\n    use(f)\n", "empty_default", {1}) == ["for f in dist.files or []:"]
    assert _ranked("xs = [g(f) for f in obj.get('files')]\n", "empty_default") == [
        "xs = [g(f) for f in obj.get('files') or []]"]
    assert _ranked("for i in range(n):\n    pass\n", "empty_default") == []  # range is never None


def test_keyword_by_name_passes_the_last_positional_argument_by_its_name():
    code = ("def quote(s, safe='/', charset='utf-8'): ...\nclass U:\n    def q(self, s):\n"
            "        return quote(s, self.charset)\n")
    assert _ranked(code, "keyword_by_name", {4}) == ["return quote(s, charset=self.charset)"]
    # a name the callee is not known to take, but the file passes as a keyword: offered at half weight
    code = "a = f(x, y=1)\nb = g(doc, getter)\nc = h(k, getter=None)\n"
    got = [r for r in rewrites(Target.parse(code), [OPS["keyword_by_name"]], {2}) if isinstance(r, Applied)]
    assert [(r.new_source.splitlines()[1], r.weight) for r in got] == [("b = g(doc, getter=getter)", 0.5)]


def test_keyword_by_name_leaves_one_argument_calls_unknown_names_and_passed_keywords_alone():
    assert _ranked("def f(x): ...\nf(x)\n", "keyword_by_name") == []
    assert _ranked("z = f(a, b)\n", "keyword_by_name") == []  # nothing says `b=` exists
    assert _ranked("def f(a, b=1, c=2): ...\nz = f(a, b, b=2)\n", "keyword_by_name", {2}) == []


def test_assign_back_keeps_the_result_of_a_pure_method():
    assert _ranked("def f(tb):\n    tb.encode('utf-8', 'replace')\n    return tb\n", "assign_back", {2}) == [
        "tb = tb.encode('utf-8', 'replace')"]
    assert _ranked("self.name.strip()\n", "assign_back") == ["self.name = self.name.strip()"]
    # methods that work in place, calls on calls and assignments are left alone
    for code in ("items.sort()\n", "get().strip()\n", "x = s.strip()\n", "s.strip\n"):
        assert _ranked(code, "assign_back") == []


def test_super_class_names_the_enclosing_class():
    code = ("class HTTPException(Exception):\n    def __init__(self):\n        super(Exception, self).__init__()\n"
            "class Other:\n    def f(self):\n        return super(Other, self).f()\n")
    assert _ranked(code, "super_class", {3}) == ["super(HTTPException, self).__init__()"]
    assert _ranked(code, "super_class", {6}) == []  # already right
    assert _ranked("def f(self):\n    super(A, self).f()\n", "super_class") == []  # no class around


def test_case_fold_lowers_a_value_compared_with_lower_case_text():
    assert _ranked("def on(val):\n    return val not in ('0', 'false', 'no')\n", "case_fold") == [
        "return val.lower() not in ('0', 'false', 'no')"]
    assert _ranked("if os.name == 'nt': pass\n", "case_fold") == ["if os.name.lower() == 'nt': pass"]
    # capitals, no letters, bytes, an already folded value and ordering comparisons are left alone
    for code in ("x = v == 'NT'\n", "x = v in ('0', '1')\n", "x = v == b'nt'\n", "x = v.lower() == 'nt'\n",
                 "x = v < 'a'\n", "x = None == 'a'\n"):
        assert _ranked(code, "case_fold") == [], code
