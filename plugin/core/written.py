"""Rows a transaction writes with Core statements, kept in step in the session without the ORM's flush.

A hot write path (a Stripe purchase, a beacon) inserts and updates a handful
of rows it also uses as ORM objects.  The unit of work's bookkeeping costs
several times the statement it sends (on PostgreSQL, about 0.7 ms of CPU
against 0.15 ms to update one balance), so these paths write their rows with
one prebuilt Core statement each and tell the session what was written:
:func:`add_as_written` for a row just inserted, :func:`write_changes` for the
changes made to a loaded one.  The session then holds them as if it had
flushed them itself: a rollback expires or removes them as usual.

A statement costs its round trip and the work of sending it on both sides,
so on PostgreSQL writes made at one moment go as one data-modifying
``WITH``: the changes of several rows (:func:`write_changes`), or an insert
and the row it moves (:func:`inserted_key_then_written`, a ledger's entry and
balance).
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from .db import actual_session, engine, session
from .dialects import family, inserted_key, inserted_key_clause

#: ``Session.info`` key: the rows :func:`add_as_written` put in the session since its last commit.
_WRITTEN = "journeykit_rows_as_written"


def add_as_written(row: Any) -> None:
    """Put a row this transaction has just inserted with a Core statement (every column of it set on ``row``, its
    key from :func:`~journeykit.core.dialects.inserted_key`) in the session as persistent, without reading it back.

    The session then treats it as a row it inserted itself: a rollback takes
    it out again (the row is gone, and a new one may get its id).
    """
    make_transient_to_detached(row)
    db_session = actual_session()
    db_session.add(row)
    written = db_session.info.get(_WRITTEN)
    if written is None:
        written = db_session.info[_WRITTEN] = []
        event.listen(db_session, "after_commit", lambda done: done.info[_WRITTEN].clear())
        event.listen(db_session, "after_soft_rollback", _forget_written)
    written.append(row)


def _forget_written(db_session: sa.orm.Session, _previous: Any) -> None:
    written = db_session.info[_WRITTEN]
    for row in written:
        if row in db_session:
            db_session.expunge(row)
    written.clear()


def write_changes(*rows: Any) -> None:
    """Write the column values changed on each of ``rows`` (persistent in the session) as one UPDATE by its primary
    key, and mark them written, as a flush of those rows would: their ``onupdate`` columns are set by the statement
    and read from it.  On PostgreSQL the UPDATEs of several rows go as one statement (a data-modifying ``WITH``).

    A change one UPDATE cannot carry (a relationship's, or a row not yet
    inserted) is left to a flush of the whole session instead.
    """
    updates = []
    for row in rows:
        state = sa.inspect(row)
        if not state.modified:
            continue
        changed = _changes(state)
        if changed is None:
            session().flush()
            return
        updates.append((state, changed))
    written = [(state, changed) for state, changed in updates if changed]
    if len(written) > 1 and family(engine()) == "postgresql" and all(_onupdate_known(*update) for update in written):
        _update_together(written)
    else:
        for state, changed in written:
            _update(state, changed)
    for state, _ in updates:
        _commit(state)


def _update(state: sa.orm.InstanceState[Any], changed: dict[sa.Column[Any], Any]) -> None:
    mapper = state.mapper
    table = mapper.local_table
    keys = {f"key_{column.key}": value for column, value in zip(mapper.primary_key, state.identity)}
    values = {f"new_{column.key}": value for column, value in changed.items()}
    statement = _update_statement(table, tuple(sorted(column.key for column in changed)))
    with session().no_autoflush:  # else the session flushes this very row first
        result = session().execute(statement, {**values, **keys})
    if result.rowcount != 1:
        raise _stale(state, result.rowcount)
    written = result.last_updated_params()
    for column in table.columns:  # an onupdate column left unset got its value from the statement, as in a flush
        if column.onupdate is not None and column not in changed:
            state.dict[mapper.get_property_by_column(column).key] = written[column.key]


def _changes(state: sa.orm.InstanceState[Any]) -> dict[sa.Column[Any], Any] | None:
    """The changed column values of a persistent row, or ``None`` for a change one UPDATE cannot carry."""
    columns = state.mapper.column_attrs
    if not state.persistent or any(key not in columns or len(columns[key].columns) != 1 for key in state.committed_state):
        return None
    return {columns[key].columns[0]: state.dict[key] for key in state.committed_state
            if state.attrs[key].history.has_changes()}


def inserted_key_then_written(table: sa.Table, values: dict[str, Any], *, on: list[str], row: Any) -> tuple[Any, bool]:
    """Insert ``values`` unless a row of ``table`` with the same ``on`` columns exists (as
    :func:`~journeykit.core.dialects.inserted_key`), and only if it did, write ``row``: its changes when it is
    persistent, else the row itself unless one with its key exists by then.  On PostgreSQL one statement.

    Returns the new key, ``None`` when nothing was written (``row``'s changes
    are then expired), and whether ``row`` was written.  A ledger posts an
    entry and moves its balance so (``loyalty.ledger.post``).
    """
    state = sa.inspect(row)
    changed = _changes(state) if state.persistent else {}
    if family(engine()) != "postgresql" or changed is None or (state.persistent and not _onupdate_known(state, changed)):
        return _inserted_key_then_written_apart(table, values, on, row)
    target = state.mapper.local_table
    if state.persistent:
        _set_onupdates(state, changed)
        parameters = {f"key_{column.key}": value for column, value in zip(state.mapper.primary_key, state.identity)}
        parameters.update({f"new_{column.key}": value for column, value in changed.items()})
        shape = ("update", tuple(sorted(column.key for column in changed)))
    else:
        parameters = {f"new_{column.key}": getattr(row, column.key) for column in target.columns}
        shape = ("insert", tuple(column.key for column in target.columns))
    parameters.update({f"first_{name}": value for name, value in values.items()})
    with session().no_autoflush:  # else the session writes ``row`` first, whatever the insert finds
        found = session().execute(_insert_then_write(table, tuple(values), tuple(on), target, shape), parameters).first()
    if found is None:
        _undo(row)
        return None, False
    key, wrote = found[0], found[1] == 1
    if not wrote and state.persistent:  # the row is gone
        raise _stale(state, found[1])
    if wrote:
        _mark_written(row)
    return key, wrote


def _inserted_key_then_written_apart(table: sa.Table, values: dict[str, Any], on: list[str], row: Any) -> tuple[Any, bool]:
    with session().no_autoflush:  # else the session writes ``row`` first, whatever the insert finds
        key = inserted_key(table, values, on=on)
    if key is None:
        _undo(row)
        return None, False
    state = sa.inspect(row)
    if state.persistent:
        write_changes(row)
        return key, True
    target = state.mapper.local_table
    row_values = {column.key: getattr(row, column.key) for column in target.columns}
    if inserted_key(target, row_values, on=[column.key for column in target.primary_key.columns]) is None:
        return key, False
    add_as_written(row)
    return key, True


def _undo(row: Any) -> None:
    """Forget the changes made to ``row`` (expired: read again if used) when it is not to be written."""
    state = sa.inspect(row)
    if state.persistent and state.committed_state:
        session().expire(row, list(state.committed_state))


def _mark_written(row: Any) -> None:
    state = sa.inspect(row)
    if state.persistent:
        _commit(state)
    else:
        add_as_written(row)


def _commit(state: sa.orm.InstanceState[Any]) -> None:
    """Mark a row's changes written, as a flush does once it wrote the row."""
    state._commit_all(state.dict, state._instance_dict())  # noqa: SLF001


@functools.lru_cache(maxsize=None)
def _insert_then_write(table: sa.Table, names: tuple[str, ...], on: tuple[str, ...], target: sa.Table,
                       shape: tuple[str, tuple[str, ...]]) -> sa.Select[Any]:
    """``WITH <table>_inserted AS (INSERT … ON CONFLICT DO NOTHING RETURNING key), then AS (UPDATE target … WHERE EXISTS first, or
    INSERT INTO target SELECT … WHERE EXISTS first ON CONFLICT DO NOTHING) SELECT first's key, then's count``."""
    [key] = table.primary_key.columns
    first = inserted_key_clause(table, names, on, prefix="first_")
    inserted = sa.exists(sa.select(first.c[key.name]))
    kind, keys = shape
    target_key = list(target.primary_key.columns)
    if kind == "update":
        where = [column == sa.bindparam(f"key_{column.key}") for column in target_key]
        then = sa.update(target).where(*where, inserted).values({name: sa.bindparam(f"new_{name}") for name in keys})
    else:
        source = sa.select(*[sa.bindparam(f"new_{name}", type_=target.c[name].type) for name in keys]).where(inserted)
        then = (postgresql.insert(target).from_select(list(keys), source)
                .on_conflict_do_nothing(index_elements=[column.key for column in target_key]))
    written = then.returning(*target_key).cte("then_written")
    return sa.select(first.c[key.name], sa.select(sa.func.count()).select_from(written).scalar_subquery())


def _set_onupdates(state: sa.orm.InstanceState[Any], changed: dict[sa.Column[Any], Any]) -> None:
    """Give the ``onupdate`` columns left unset their values here, in ``changed`` and on the row (for one statement
    of several writes, which cannot read them back)."""
    mapper = state.mapper
    for column in _onupdated(state, changed):
        default = column.onupdate
        changed[column] = default.arg if default.is_scalar else default.arg(None)  # type: ignore[attr-defined]
        state.dict[mapper.get_property_by_column(column).key] = changed[column]


def _onupdate_known(state: sa.orm.InstanceState[Any], changed: dict[sa.Column[Any], Any]) -> bool:
    """Whether every ``onupdate`` of the row's table left unset is a Python value or function (written by us then)."""
    return all(column.onupdate.is_scalar or column.onupdate.is_callable for column in _onupdated(state, changed))


def _onupdated(state: sa.orm.InstanceState[Any], changed: dict[sa.Column[Any], Any]) -> list[sa.Column[Any]]:
    return [column for column in state.mapper.local_table.columns if column.onupdate is not None and column not in changed]


def _update_together(updates: list[tuple[sa.orm.InstanceState[Any], dict[sa.Column[Any], Any]]]) -> None:
    """The UPDATEs of several rows in one statement, their ``onupdate`` values given (PostgreSQL)."""
    parameters, shapes = {}, []
    for n, (state, changed) in enumerate(updates):
        mapper = state.mapper
        _set_onupdates(state, changed)
        parameters.update({f"key{n}_{column.key}": value for column, value in zip(mapper.primary_key, state.identity)})
        parameters.update({f"new{n}_{column.key}": value for column, value in changed.items()})
        shapes.append((mapper.local_table, tuple(sorted(column.key for column in changed))))
    with session().no_autoflush:  # else the session flushes these very rows first
        counts = session().execute(_updates_statement(tuple(shapes)), parameters).one()
    for (state, _), count in zip(updates, counts):
        if count != 1:
            raise _stale(state, count)


def _stale(state: sa.orm.InstanceState[Any], count: int) -> StaleDataError:
    """What a flush raises when an UPDATE by primary key matched no row (it was deleted meanwhile)."""
    return StaleDataError(f"UPDATE of {state.mapper.local_table.name} {state.identity} matched {count} rows, not 1")


@functools.lru_cache(maxsize=None)
def _updates_statement(shapes: tuple[tuple[sa.Table, tuple[str, ...]], ...]) -> sa.Select[Any]:
    """``WITH written_0 AS (UPDATE … RETURNING key), … SELECT (SELECT count(*) FROM written_0), …``, built once per
    tables and columns: how many rows each UPDATE matched."""
    counts = []
    for n, (table, keys) in enumerate(shapes):
        where = [column == sa.bindparam(f"key{n}_{column.key}") for column in table.primary_key.columns]
        update = (sa.update(table).where(*where).values({key: sa.bindparam(f"new{n}_{key}") for key in keys})
                  .returning(*table.primary_key.columns).cte(f"written_{n}"))
        counts.append(sa.select(sa.func.count()).select_from(update).scalar_subquery())
    return sa.select(*counts)


@functools.lru_cache(maxsize=None)
def _update_statement(table: sa.Table, keys: tuple[str, ...]) -> sa.Update:
    """``UPDATE table SET <keys> WHERE <primary key>``, built once per table and set of columns."""
    where = [column == sa.bindparam(f"key_{column.key}") for column in table.primary_key.columns]
    return sa.update(table).where(*where).values({key: sa.bindparam(f"new_{key}") for key in keys})
