"""Trino's own grammar as a gate: `check_trino(sql)` raises trino_query_parser's
TrinoSyntaxError ("line 1:24 mismatched input 'ILIKE' ...") for what Trino would reject.

The parser is the one trino-query-parser generates from Trino's SqlBase.g4; only the parse
tree is built (its `parse_statement` also turns the tree into nested lists, which costs
ten times the parse itself and tells a grammar check nothing).
"""

from __future__ import annotations

from typing import Any

from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ConsoleErrorListener
from trino_query_parser.error import TrinoErrorListener, TrinoSyntaxError
from trino_query_parser.SqlBaseLexer import SqlBaseLexer
from trino_query_parser.SqlBaseParser import SqlBaseParser

__all__ = ["TrinoSyntaxError", "check_trino"]


def check_trino(statement: str) -> Any:
    """The statement's parse tree; TrinoSyntaxError where the grammar refuses it. Upper-cased
    first, as trino-query-parser does: the generated lexer knows keywords in capitals only
    (Trino's own is case-insensitive), and the case of literals is no grammar's business."""
    lexer = SqlBaseLexer(InputStream(statement.upper()))
    parser = SqlBaseParser(CommonTokenStream(lexer))
    parser.removeErrorListener(ConsoleErrorListener.INSTANCE)
    parser.addErrorListener(TrinoErrorListener())
    return parser.singleStatement()
