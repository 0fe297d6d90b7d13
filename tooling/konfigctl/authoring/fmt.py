"""The canonical layout of a Konfig's YAML files (``konfig fmt``).

* 2-space indentation; list dashes indented 2 under their key (``key:\\n  - a``);
* the metadata fields of ``konfig.yaml``, ``project.yaml``, ``stack.yaml``,
  policies and ``teams.yaml`` in a fixed order (``formats.KEY_ORDER``; other
  keys after them, in their order);
* strings a YAML 1.1 reader would retype (``on``, ``0755``, ``1:30``) in quotes;
* everything else as written: comments (re-indented with their block), blank
  lines, quoting, flow or block style, key order inside values.

Formatting is idempotent (formatting its output changes nothing) and never
changes the data: the result is checked to read back as the same data.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError
from ..files import paths

if TYPE_CHECKING:
    from ..repo.repository import Repository

MAPPING_INDENT = 2
DASH_OFFSET = 2
GENERATED = (formats.GOLDEN_FILE,)  # written by the tool itself, never hand-formatted


def kind_of(repo: "Repository", rel: str) -> str | None:
    """Which metadata format a file is (for its key order), or None for config and schema files."""
    name = rel.rsplit("/", 1)[-1]
    if rel == formats.KONFIG_FILE:
        return "konfig"
    if rel == repo.teams_file:
        return "teams"
    if paths.is_within(rel, paths.join(repo.base, "policies")):
        return "policy"
    if any(paths.is_within(rel, root) for root in repo.roots):
        if name == formats.PROJECT_FILE:
            return "project"
        if name == formats.STACK_FILE:
            return "stack"
    return None


def is_konfig_yaml(repo: "Repository", rel: str) -> bool:
    """Whether ``fmt`` looks after a file: konfig.yaml and the YAML under the base and the roots."""
    name = rel.rsplit("/", 1)[-1]
    if not name.endswith((".yaml", ".yml")) or name in GENERATED:
        return False
    if rel.endswith("/" + formats.KCL_GOLDEN_FILE):  # a KCL stack's, in kusion compile's layout
        return False
    if rel == formats.KONFIG_FILE:
        return True
    return any(paths.is_within(rel, d) for d in [repo.base, *repo.roots])


def konfig_files(repo: "Repository", under: list[str] | None = None) -> list[str]:
    """Every file ``fmt`` looks after (below the given repo-relative directories or files)."""
    tops = under if under is not None else ["", ]
    out: set[str] = set()
    for top in tops:
        if top and not repo.source.isdir(top):
            if repo.exists(top) and is_konfig_yaml(repo, top):
                out.add(top)
            continue
        starts = [top] if top else [repo.base, *repo.roots]
        if not top and repo.exists(formats.KONFIG_FILE):
            out.add(formats.KONFIG_FILE)
        for start in starts:
            if not top and not repo.source.isdir(start):
                continue
            for rel, _dirs, files in repo.source.walk(start):
                for f in files:
                    p = paths.join(rel, f)
                    if is_konfig_yaml(repo, p):
                        out.add(p)
    return sorted(out)


def format_text(text: str, filename: str, kind: str | None = None) -> str:
    """``text`` in the canonical layout (exactly ``text`` if it already is)."""
    from ..yamlio import load, quote_retyped
    from ..yamlio import roundtrip as rt
    from ..yamlio.roundtrip import dump_roundtrip, load_roundtrip
    from .edit import _same_data, rt_plain

    before = load(text, filename).data
    y, data = load_roundtrip(text, filename)
    if data is None:
        return text  # empty, or comments only
    y.indent(mapping=MAPPING_INDENT, sequence=DASH_OFFSET + 2, offset=DASH_OFFSET)
    if isinstance(data, rt.CommentedMap) and kind in formats.KEY_ORDER:
        rt.reorder(data, list(formats.KEY_ORDER[kind]))
    _reindent(data, 0, {0: 0})
    out = quote_retyped(dump_roundtrip(y, data), filename)  # `on` would be `true` to YAML 1.1 readers
    if not _same_data(load(out, filename).data, rt_plain(data)) or not _same_data(before, rt_plain(data)):
        raise RuntimeError(f"formatting {filename} would change its data; left as it is")
    return out


def _reindent(node: Any, new_col: int, chain: dict[int, int], pre: list[Any] | None = None) -> None:
    """Move full-line comments with the block they sit in when its indentation changes.

    ``chain`` maps the original column of every enclosing block to its new column;
    a comment at one of those columns moves to that block's new column, one at
    any other column stays where it is. ``pre``: the comments above this block's
    first entry when the parent keeps them.
    """
    from ..yamlio import roundtrip as rt

    if not isinstance(node, (rt.CommentedMap, rt.CommentedSeq)) or rt.is_flow(node) or not len(node):
        return
    old_col = rt.column(node)
    if old_col >= 1 << 30:
        return
    chain = {**chain, old_col: new_col}
    is_map = isinstance(node, rt.CommentedMap)
    for lst in _distinct(pre, node.ca.comment[1] if node.ca.comment else None):
        lst[:] = [_moved_token(t, chain) for t in lst]
    keys = list(node) if is_map else list(range(len(node)))
    for k in keys:
        entry = node.ca.items.get(k)
        tok = (entry[2] if is_map else entry[0]) if entry else None
        if tok is not None and tok.value:
            first, nl, rest = tok.value.partition("\n")
            tok.value = first + nl + _moved_lines(rest, chain)
            if first.strip() and new_col != old_col and tok.column:
                # an end-of-line comment keeps its distance to the value it follows
                tok = _at_column(tok, max(0, tok.column + new_col - old_col))
                if is_map:
                    entry[2] = tok
                else:
                    entry[0] = tok
        child = node[k]
        if is_map:
            child_col = new_col + (DASH_OFFSET if isinstance(child, rt.CommentedSeq) else MAPPING_INDENT)
        elif isinstance(child, rt.CommentedSeq):
            child_col = new_col + DASH_OFFSET + 2  # ruamel writes a list in a list as "-   - x"
        else:
            child_col = new_col + 2  # after "- "
        child_pre = entry[3] if (is_map and entry and isinstance(child, rt.CommentedMap)) else None
        _reindent(child, child_col, chain, child_pre)


def _distinct(*lists: list[Any] | None) -> list[list[Any]]:
    out: list[list[Any]] = []
    for lst in lists:
        if lst and not any(lst is o for o in out):
            out.append(lst)
    return out


def _moved_lines(text: str, chain: dict[int, int]) -> str:
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        if stripped.startswith("#"):
            ind = len(line) - len(stripped)
            if ind in chain:
                line = " " * chain[ind] + stripped
        out.append(line)
    return "".join(out)


def _at_column(tok: Any, col: int) -> Any:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    return CommentToken(tok.value, CommentMark(col), None)


def _moved_token(tok: Any, chain: dict[int, int]) -> Any:
    if tok is None:
        return tok
    col = tok.column or 0
    if col not in chain or chain[col] == col:
        return tok
    return _at_column(tok, chain[col])


def format_file(repo: "Repository", rel: str) -> tuple[bytes, bytes]:
    """(current bytes, canonical bytes) of one file."""
    before = repo.read(rel)
    try:
        text = before.decode("utf-8")
    except UnicodeDecodeError:
        raise KonfigError("not UTF-8 text", file=rel) from None
    after = format_text(text, rel, kind_of(repo, rel))
    return before, (before if after == text else after.encode("utf-8"))


# -- many files: a cache of known-canonical contents, and the cores --------------------------

CACHE_VERSION = "fmt-2"  # bump when the layout rules change: cached verdicts are then ignored
PARALLEL_MIN = 64


def _key(rel_kind: str | None, data: bytes) -> str:
    import hashlib

    h = hashlib.sha1(f"{CACHE_VERSION}\0{rel_kind or ''}\0".encode())
    h.update(data)
    return h.hexdigest()


def _cache_file(repo: "Repository") -> str:
    import os

    return os.path.join(repo.cache_dir, "fmt", f"{CACHE_VERSION}.txt")


def _load_cache(repo: "Repository") -> set[str]:
    try:
        with open(_cache_file(repo), encoding="ascii") as f:
            return set(f.read().split())
    except (OSError, UnicodeDecodeError):
        return set()


def _save_cache(repo: "Repository", keys: set[str]) -> None:
    from ..files.transaction import atomic_write

    try:
        atomic_write(_cache_file(repo), "\n".join(sorted(keys)) + "\n")
    except OSError:
        pass  # a cache: a read-only checkout simply does without


_Error = tuple[str, "str | None", "int | None", "int | None", "str | None"]


def _format_one(root: str, rel: str) -> tuple[str, bytes | None, _Error | None]:
    """(rel, canonical bytes if they differ, the error); runs in a worker, so plain data out."""
    from ..repo.repository import Repository

    try:
        before, after = format_file(Repository(root), rel)
    except KonfigError as e:
        return rel, None, (e.message, e.file, e.line, e.col, e.keypath)
    return rel, (after if after != before else None), None


def check_files(repo: "Repository", files: list[str], jobs: int | None = None
                ) -> tuple[dict[str, tuple[bytes, bytes]], list[KonfigError]]:
    """The files that are not canonical (rel -> (current, canonical)) and the ones that cannot be read.

    Contents already known to be canonical (``<cache_dir>/fmt/``, keyed by
    content) are skipped; the rest are formatted across the cores when there
    are many.
    """
    from ..check.parallel import default_jobs

    known = _load_cache(repo)
    todo: list[str] = []
    current: dict[str, bytes] = {}
    keys: dict[str, str] = {}
    errors: list[KonfigError] = []
    for rel in files:
        try:
            data = repo.read(rel)
        except KonfigError as e:
            errors.append(e)
            continue
        current[rel] = data
        keys[rel] = _key(kind_of(repo, rel), data)
        if keys[rel] not in known:
            todo.append(rel)
    results: list[tuple[str, bytes | None, _Error | None]]
    jobs = jobs or default_jobs()
    if len(todo) >= PARALLEL_MIN and jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_format_one, [repo.root] * len(todo), todo, chunksize=16))
    else:
        results = [_format_one(repo.root, rel) for rel in todo]
    changed: dict[str, tuple[bytes, bytes]] = {}
    added = False
    for rel, after, error in results:
        if error is not None:
            message, file, line, col, keypath = error
            errors.append(KonfigError(message, file=file or rel, line=line, col=col, keypath=keypath))
        elif after is None:
            known.add(keys[rel])
            added = True
        else:
            changed[rel] = (current[rel], after)
    if added:
        _save_cache(repo, known)
    return changed, errors
