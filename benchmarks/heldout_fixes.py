"""Held-out fixes for the accuracy benchmark: the single-statement fix commits after a split.

A later commit is kept when all of these hold (anything else is a counted skip with a reason):

1. it is a fix commit by `repairbot mine`'s own rule (message and shape: `history.skip_reason`);
2. it modifies exactly one Python file (other files may change), which is not a test file;
3. both versions of that file decode and parse;
4. edit extraction (`mining.edits.extract_edits`, whole file) finds exactly one edit;
5. that edit changes one statement: an expression inside one statement, or one simple
   statement replaced by one statement (a wrap in `if` counts; inserted or deleted
   statements, and rewritten compound statements, do not);
6. the rest of the file is unchanged as normalised code: the before file with the edit applied
   equals the after file (so an added import or a second change elsewhere disqualifies it);
7. it changes code, not documentation or release metadata: a docstring (a statement that is
   only a string), an assignment to a dunder or `version`-named variable (version bumps), and
   packaging files (`setup.py`, `docs/conf.py`) do not count.

The flagged line is the first line of the changed subtree in the parent revision. The human fix
is the whole after file as a formatting-free tree (`repairbot.tree`): whitespace, comments,
commas and parentheses do not count.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from dataclasses import dataclass

import git
import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from repairbot.config import MineConfig
from repairbot.mining.edits import Where, extract_edits
from repairbot.mining.history import CommitInfo, skip_reason, walk
from repairbot.mining.lines import statement_lines
from repairbot.mining.miner import decode, read_blob
from repairbot.pattern.kinds import fix_kind, text_only
from repairbot.tree import Tree, from_cst
from repairbot.types import Edit, EditKind

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_tests?\.py$|(^|/)conftest\.py$")

_PACKAGING = re.compile(r"(^|/)setup\.py$|(^|/)docs?/conf\.py$")
_METADATA = re.compile(r"(__[a-z_]+__|\w*version\w*)\s*(:[^=]*)?=(?!=)", re.IGNORECASE)


@dataclass(frozen=True)
class HeldOutFix:
    repo: str
    commit: str
    file: str
    line: int
    before_source: str
    after_key: tuple
    after_tokens: tuple[str, ...]
    before_stmt: str
    after_stmt: str
    kind: str
    text_only: bool  # every difference is a string changed into another string (messages, data)
    new_words: tuple[str, ...]  # identifiers and literals of the fix that the before file lacks


def split_commit(repo: git.Repo, date: str | None, fraction: float | None) -> str:
    """The last commit before `date`, or the commit `fraction` of the way through history."""
    if date:
        sha = repo.git.rev_list("-1", f"--before={date}", "HEAD").strip()
        if not sha:
            raise ValueError(f"no commit before {date}")
        return sha
    shas = repo.git.rev_list("--topo-order", "--reverse", "HEAD").split()
    return shas[max(0, min(len(shas) - 1, int(len(shas) * (fraction or 0.8)) - 1))]


def normalised(source: str) -> tuple:
    return from_cst(cst.parse_module(source)).key


_DROP_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                tokenize.ENCODING, tokenize.ENDMARKER}
_DROP_OPS = {"(", ")", "[", "]", "{", "}", ",", ";", ":", "=", "."}


def code_tokens(source: str) -> tuple[str, ...]:
    """A cheap necessary condition for equal trees: the tokens trees keep, in order."""
    try:
        toks = tokenize.generate_tokens(io.StringIO(source).readline)
        return tuple(t.string for t in toks if t.type not in _DROP_TOKENS and t.string not in _DROP_OPS)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return ()


def later_fixes(repo: git.Repo, name: str, split: str, cfg: MineConfig) -> tuple[list[HeldOutFix], Counter[str], int]:
    """(kept fixes, skip reasons, commits considered) for every commit after `split`."""
    fix_re = cfg.fix_regex()
    kept: list[HeldOutFix] = []
    skips: Counter[str] = Counter()
    considered = 0
    for c in walk(repo, f"{split}..HEAD"):
        considered += 1
        why = skip_reason(c, cfg, fix_re)
        if why is None:
            fix_or_why = _single_statement_fix(repo, name, c, cfg)
            if isinstance(fix_or_why, str):
                why = fix_or_why
            else:
                kept.append(fix_or_why)
        if why:
            skips[why] += 1
    return kept, skips, considered


def _single_statement_fix(repo: git.Repo, name: str, c: CommitInfo, cfg: MineConfig) -> HeldOutFix | str:
    py = [f for f in c.changes if f.path.endswith(".py")]
    if len(py) != 1:
        return "several_python_files"
    ch = py[0]
    if ch.status != "M":
        return "added_or_deleted_file"
    if _TEST_PATH.search(ch.path):
        return "test_file_only"
    if _PACKAGING.search(ch.path):
        return "packaging_file"
    blobs = [read_blob(repo, b) for b in (ch.old_blob, ch.new_blob)]
    if max(len(b) for b in blobs) > cfg.max_file_bytes:
        return "file_too_large"  # the miner's limit too
    texts = [decode(b) for b in blobs]
    before, after = texts
    if before is None or after is None:
        return "undecodable"
    try:
        mb, ma = cst.parse_module(before), cst.parse_module(after)
    except (cst.ParserSyntaxError, RecursionError):
        return "unparsable"
    try:
        edits = extract_edits(mb, ma, Where(c.sha, ch.path), statement_lines(mb, before))
    except RecursionError:
        return "unparsable"
    if not edits:
        return "no_edit"
    if len(edits) > 1:
        return "several_edits"
    edit = edits[0]
    why = _one_statement(edit) or _not_code(edit)
    if why:
        return why
    after_key = from_cst(ma).key
    target, new_key = _edit_target(edit)
    if _substituted(from_cst(mb), target, new_key) != after_key:
        return "other_changes_in_file"
    positions = MetadataWrapper(mb, unsafe_skip_copy=True).resolve(PositionProvider)
    rng = positions.get(target)
    if rng is None:
        return "no_line"
    return HeldOutFix(name, c.sha, ch.path, rng.start.line, before, after_key, code_tokens(after),
                      edit.example_before, edit.example_after, fix_kind(edit.example_before, edit.example_after),
                      _text_only(edit), tuple(sorted(words(edit.example_after) - words(before))))


_WORD_TOKENS = {tokenize.NAME, tokenize.NUMBER, tokenize.STRING}


def words(source: str) -> set[str]:
    """The identifiers, numbers and string literals in `source` (keywords included)."""
    out: set[str] = set()
    try:
        for t in tokenize.generate_tokens(io.StringIO(source).readline):
            if t.type in _WORD_TOKENS:
                out.add(t.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def _text_only(edit: Edit) -> bool:
    return text_only(edit.before, edit.after)


def _one_statement(edit: Edit) -> str | None:
    if edit.kind == EditKind.EXPR:
        return None
    xs, ys = edit.before.children, edit.after.children
    if len(xs) != len(ys):
        return "statement_inserted_or_deleted"
    if len(xs) > 1:
        return "several_statements"
    if xs[0].kind != "SimpleStatementLine":
        return "compound_statement_rewritten"
    return None


def _not_code(edit: Edit) -> str | None:
    try:
        body = cst.parse_module(edit.example_before).body
    except cst.ParserSyntaxError:
        return None
    if body and all(_is_docstring_line(s) for s in body):
        return "docstring_only"
    if _METADATA.match(edit.example_before.strip()):
        return "version_or_metadata"
    return None


def _is_docstring_line(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and \
        isinstance(node.body[0], cst.Expr) and \
        isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString))


def _edit_target(edit: Edit) -> tuple[cst.CSTNode, tuple]:
    if edit.kind == EditKind.EXPR:
        return edit.before.node, edit.after.key
    return edit.before.children[0].node, edit.after.children[0].key


def _substituted(t: Tree, node: cst.CSTNode, new_key: tuple) -> tuple:
    """`t.key` with the subtree built from `node` replaced by `new_key`."""
    if t.node is node:
        return new_key
    return (t.kind, t.value, t.fields, tuple(_substituted(c, node, new_key) for c in t.children))
