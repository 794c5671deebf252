"""The filter language evaluated by SQLite: a `Filter` as the cache's `Where`.

Built from `cache.schema`'s vocabulary, so the schema stays the cache's own. The in-memory
evaluator beside this (`query.memory`) must agree with it term for term.
"""

from __future__ import annotations

from rdstrail_tui.cache import schema
from rdstrail_tui.cache.schema import Where
from rdstrail_tui.query.language import SUBSTRING_FIELDS, Filter, Term, fold


def where_of(flt: Filter) -> Where:
    """The SQL condition matching what `flt` matches; everything for an empty filter."""
    return schema.all_of(_term(term) for term in flt.terms)


def _term(term: Term) -> Where:
    # A negated OR is "none of them": NOT over the whole alternation.
    where = _positive(term)
    return where.negated() if term.negated else where


def _positive(term: Term) -> Where:
    field = SUBSTRING_FIELDS.get(term.key)
    if field is not None:
        folded = [fold(value) for value in term.values]
        if term.key == "res":
            return schema.touches_resource(folded, exact=term.exact)
        if term.exact:
            return schema.text_equals(field, folded)
        return schema.text_contains_any(field, folded)
    if term.key == "id":
        return schema.event_id_in(term.values)
    if term.bits is not None:  # is:risky, flag:
        return schema.flags_any(term.bits)
    if term.key == "is":
        value = term.value.lower()
        return schema.failed() if value == "error" else schema.read_only_is(value == "read")
    if term.key in ("since", "until"):
        assert term.bound is not None, "time terms carry their bound"
        if term.key == "since":
            return schema.time_at_least(term.bound)
        return schema.time_at_most(term.bound)
    raise AssertionError(f"unhandled key {term.key!r}")
