"""The tokens a pattern's match must spell (step 1 of the check prefilter, `prefilter.py`).

libcst keeps tokens verbatim, so any code a pattern matches contains the identifiers, literals
and operators of its before side and context, and the keywords of its node kinds. A substring
test on those can only keep too much, never too little.
"""

from __future__ import annotations

import functools
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass

from repairbot.matching.match import Compiled
from repairbot.tree import BLOCK, HOLE, Tree

# Node kinds whose match always spells these tokens (libcst kind -> source text).
_KIND_TOKENS: dict[str, tuple[str, ...]] = {
    "Equal": ("==",), "LessThan": ("<",), "LessThanEqual": ("<=",), "GreaterThan": (">",),
    "GreaterThanEqual": (">=",), "Is": ("is",), "IsNot": ("is", "not"), "In": ("in",), "NotIn": ("not", "in"),
    "Add": ("+",), "Subtract": ("-",), "Multiply": ("*",), "MatrixMultiply": ("@",), "Divide": ("/",),
    "FloorDivide": ("//",), "Modulo": ("%",), "Power": ("**",), "LeftShift": ("<<",), "RightShift": (">>",),
    "BitOr": ("|",), "BitAnd": ("&",), "BitXor": ("^",), "And": ("and",), "Or": ("or",), "Not": ("not",),
    "BitInvert": ("~",), "Minus": ("-",), "Plus": ("+",),
    "AddAssign": ("+=",), "SubtractAssign": ("-=",), "MultiplyAssign": ("*=",), "DivideAssign": ("/=",),
    "FloorDivideAssign": ("//=",), "ModuloAssign": ("%=",), "PowerAssign": ("**=",),
    "MatrixMultiplyAssign": ("@=",), "LeftShiftAssign": ("<<=",), "RightShiftAssign": (">>=",),
    "BitOrAssign": ("|=",), "BitAndAssign": ("&=",), "BitXorAssign": ("^=",),
    "Return": ("return",), "Raise": ("raise",), "Assert": ("assert",), "Del": ("del",), "Pass": ("pass",),
    "Break": ("break",), "Continue": ("continue",), "Global": ("global",), "Nonlocal": ("nonlocal",),
    "Import": ("import",), "ImportFrom": ("from", "import"), "Lambda": ("lambda",), "Await": ("await",),
    "Yield": ("yield",), "If": ("if",), "IfExp": ("if", "else"), "For": ("for", "in"), "While": ("while",),
    "With": ("with",), "Try": ("try",), "ExceptHandler": ("except",), "Finally": ("finally",),
    "Call": ("(",), "Subscript": ("[",), "Attribute": (".",), "NamedExpr": (":=",), "Assign": ("=",),
    "ImportStar": ("*",), "Dot": (".",),
}
_VERBATIM = {"Name", "Integer", "Float", "Imaginary", "SimpleString", "NotEqual"}  # Tree.value is the token
_DEFINITIONS = {"FunctionDef", "ClassDef"}


_WORD = re.compile(r"\w+")
# Keywords that begin a statement or clause: after indentation, a newline, `;` or `:`, so always a
# whole word. Others may touch a number (`1if x else 2`, `0or y`), so they stay substrings.
_STATEMENT_KEYWORDS = frozenset({"assert", "return", "raise", "del", "pass", "break", "continue", "global",
                                 "nonlocal", "import", "try", "while", "with", "finally"})


class Text:
    """A piece of source and, only if asked for, its set of words."""

    __slots__ = ("text", "_words")

    def __init__(self, text: str) -> None:
        self.text = text
        self._words: set[str] | None = None

    @property
    def words(self) -> set[str]:
        if self._words is None:
            self._words = set(_WORD.findall(self.text))
        return self._words


@dataclass(frozen=True)
class Tokens:
    """Tokens a match spells: identifiers (`words`, whole words of the text: in valid Python an
    identifier never touches another word character) and other verbatim tokens (`subs`)."""

    words: frozenset[str]
    subs: frozenset[str]
    phrases: frozenset[str] = frozenset()  # regular expressions the text must match (`phrases`)

    @classmethod
    def of(cls, toks: Iterable[str], phrases: Iterable[str] = ()) -> Tokens:
        toks = set(toks)
        words = {t for t in toks if t.isidentifier() and _WORD.fullmatch(t)
                 and (not keyword.iskeyword(t) or t in _STATEMENT_KEYWORDS)}
        return cls(frozenset(words), frozenset(toks - words), frozenset(phrases))

    def in_(self, text: Text) -> bool:
        return all(t in text.text for t in self.subs) and (not self.words or self.words <= text.words) and \
            all(_compiled(ph).search(text.text) for ph in self.phrases)

    def __or__(self, other: Tokens) -> Tokens:
        return Tokens(self.words | other.words, self.subs | other.subs, self.phrases | other.phrases)


@functools.cache
def _compiled(phrase: str) -> re.Pattern[str]:
    return re.compile(phrase)


# Token sequences a node kind always spells, as regular expressions: `assert (a, b)` has only
# blanks or a backslash line continuation between `assert` and `(` (a comment would end the
# statement). Each one is a rare shape whose tokens alone (`assert`) are everywhere.
_TUPLE_ASSERT = r"\bassert(?:[ \t\f]|\\(?:\r\n?|\n))*\("


_GAP = r"(?:\s|\\|#[^\r\n]*)*"  # what may sit between two tokens: blanks, line breaks (in brackets), comments

# The procedural operators `check` runs by default (category "lint") have no template to take
# tokens from; each names here what any code it rewrites must spell.
GUARD_NEEDS: dict[str, Tokens] = {}


def phrases(t: Tree) -> set[str]:
    out: set[str] = set()
    for n in t.walk():
        if n.kind == "Assert" and n.children and n.children[0].kind == "Tuple":
            out.add(_TUPLE_ASSERT)
    return out


@dataclass(frozen=True)
class Needs:
    """Where one pattern's match can be: `all` its tokens in one unit's own text; each of
    `atoms` within one statement (an expression and its context share a statement or compound
    header; a simple statement of a statement template is one statement). A statement run at
    module level may spread over consecutive units (`run` > 1 statements)."""

    compiled: Compiled
    all: Tokens
    atoms: tuple[Tokens, ...]
    run: int
    whole_file: bool  # cannot be localised to a unit (definitions in a statement template)


def tokens(t: Tree) -> set[str]:
    """Tokens every code matching `t` spells (holes match anything and add none)."""
    out: set[str] = set()
    for n in t.walk():
        if n.kind == HOLE:
            continue
        if n.kind in _VERBATIM and n.value:
            out.add(n.value)
        out.update(_KIND_TOKENS.get(n.kind, ()))
        if n.kind == "Tuple" and n.children:  # `(a,)`, `a, b`: only the empty tuple has no comma
            out.add(",")
    return out


def needs(c: Compiled) -> Needs:
    guard = c.pattern.guard
    if guard:
        if guard not in GUARD_NEEDS:
            raise KeyError(f"operator {guard!r} names no tokens for the check prefilter (needs.GUARD_NEEDS)")
        return Needs(c, GUARD_NEEDS[guard], (GUARD_NEEDS[guard],), 1, False)
    ctx = _leaf_tokens(c.context) if c.context is not None else set()
    if c.before.kind == BLOCK:
        stmts = c.before.children
        parts = [tokens(s) for s in stmts]
        atoms = tuple(Tokens.of(p, phrases(s)) for s, p in zip(stmts, parts) if s.kind == "SimpleStatementLine" and p)
        defs = any(n.kind in _DEFINITIONS for s in stmts for n in s.walk())
        return Needs(c, Tokens.of(ctx.union(*parts), phrases(c.before)), atoms, len(stmts), defs)
    toks = Tokens.of(tokens(c.before) | ctx, phrases(c.before))
    return Needs(c, toks, (toks,), 1, False)


GUARD_NEEDS.update({
    # an f-string with no `{` but doubled ones between its quotes
    "needless_fstring": Tokens.of((), [
        r"(?s)(?<!\w)(?:[rR]?[fF]|[fF][rR])(?:'''(?:[^'{\\]|\\.|\{\{|'(?!''))*'''"
        r'|"""(?:[^"{\\]|\\.|\{\{|"(?!""))*"""'
        r"""|'(?:[^'{\\\n]|\\.|\{\{)+'|''(?!')|"(?:[^"{\\\n]|\\.|\{\{)+"|""(?!"))"""]),
    # an implicit join that glues (what `literals.missing_space` asks of a join, spelt in the
    # source): a word, number or closing mark and the piece's quote (or a quote of the other
    # kind, or an escaped one, and it: never two of a kind, which open a docstring), then
    # blanks, line breaks, continuations or comments, a string's prefix and quote, and a letter
    "missing_space": Tokens.of((), [r"""(?:[A-Za-z0-9.,;:!?)\]/`]['"]|'"|"'|\\['"]['"])(?:\s|\\|#[^\r\n]*)*"""
                                    r"""[rRbBuUfF]{0,2}['"][A-Za-z]"""]),
    # `os.name`, `sys.platform`, `platform.system()` compared with a string
    "platform_name": Tokens.of((), [rf"\b(?:os|sys|platform)\b{_GAP}\.{_GAP}(?:name|platform|system)\b"]),
})


def _leaf_tokens(t: Tree) -> set[str]:
    """A context is matched with holes anywhere; its literal leaves and operators still must appear."""
    out: set[str] = set()
    for n in t.walk():
        if n.kind in _VERBATIM and n.value:
            out.add(n.value)
        elif n.kind in _KIND_TOKENS and not n.children:  # operators (leaves), not statements
            out.update(_KIND_TOKENS[n.kind])
    return out
