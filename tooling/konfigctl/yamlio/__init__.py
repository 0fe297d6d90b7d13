"""YAML: the one safe reader, the writer, and round-trip editing.

* ``read``: ``load``/``load_all`` for untrusted input (core tags plus
  ``!replace``/``!append``, duplicate keys refused, size, alias and nesting
  limits named when hit), values located by key path (``Document.position``);
* ``write``: ``dump``/``dump_all`` and the YAML 1.1 quoting that keeps what
  konfig writes meaning the same to every reader;
* ``roundtrip``: files read and written back with comments, order and quotes
  kept, and comment-aware changes to that data (``set``, ``fmt``). It loads
  ruamel's round-trip types, so it is imported on its own
  (``from konfigctl.yamlio import roundtrip``), not through this face.

This face re-exports what the rest of konfig uses from ``read`` and ``write``.
Writing bytes to a file is ``files.transaction.atomic_write``.

May import (tests/test_architecture.py checks it): ``errors``.
"""
from ..errors import YamlError
from .read import (
    APPEND_TAG,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    REPLACE_TAG,
    AppendList,
    Document,
    Path_,
    Positions,
    ReplaceDict,
    ReplaceList,
    iter_paths,
    load,
    load_all,
    parse_value,
    plain,
    reads_as_str,
)
from .write import UNPRINTABLE, block_ok, dump, dump_all, needs_quotes, quote_retyped, yaml11_retyped

__all__ = [
    "APPEND_TAG", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "REPLACE_TAG", "UNPRINTABLE",
    "AppendList", "Document", "Path_", "Positions", "ReplaceDict", "ReplaceList", "YamlError",
    "block_ok", "dump", "dump_all", "iter_paths", "load", "load_all", "needs_quotes",
    "parse_value", "plain", "quote_retyped", "reads_as_str", "yaml11_retyped",
]
