"""Statements compiled once from a model's metadata, for the few paths where the ORM's per-call work dominates.

A queryset builds and compiles its SQL on every call: for the short statements of a payment confirmation
that is 0.1–0.3 ms of Python each, ten times what the database spends on them (docs/performance.md).
These helpers build the SQL once per model, field list and database connection, and run it with fresh
values:

- values go through each field's own ``get_db_prep_save``, so a row holds exactly what ``Model.save()``
  would have written (JSON, aware datetimes as UTC, foreign keys by id);
- rows read back go through the same converters the ORM applies (``from_db_value``, the backend's own),
  and become model instances with ``Model.from_db``.

They are not a second ORM: they know nothing of the rules, only a table and its columns, and they skip
``save()`` overrides and model signals. So they refuse a model that overrides ``save`` (unless it is named in
``allow_save_override`` because its override only guards what an insert never does) and a model with
``pre_save``/``post_save`` receivers when the statement runs. Used by the payment confirmation path
(``payments.callbacks``, ``payments.services``, ``payments.ledger``), the audit log, and the settlement
(``payments.settlement``, billing's notice and receipt, the dossier owner).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DatabaseError, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_save, pre_save

type Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


class _Statement:
    def __init__(self, model: type[models.Model], *, allow_save_override: bool = False) -> None:
        if not allow_save_override and model.save is not models.Model.save:
            raise TypeError(f"{model.__name__} overrides save(): write it through the ORM")
        self.model = model
        self.meta = model._meta
        self._compiled: dict[tuple[object, ...], Any] = {}

    def _connection(self, *, write: bool, saves: bool = False) -> BaseDatabaseWrapper:
        alias = router.db_for_write(self.model) if write else router.db_for_read(self.model)
        connection = connections[alias or "default"]
        if saves and (pre_save.has_listeners(self.model) or post_save.has_listeners(self.model)):
            raise TypeError(f"{self.model.__name__} has save signal receivers: write it through the ORM")
        return connection

    def _field(self, name: str) -> models.Field[Any, Any]:
        return self.meta.pk if name == "pk" else self.meta.get_field(name)  # type: ignore[return-value]

    def _table(self, connection: BaseDatabaseWrapper) -> str:
        return connection.ops.quote_name(self.meta.db_table)

    def _column(self, connection: BaseDatabaseWrapper, name: str) -> str:
        return connection.ops.quote_name(_column_name(self._field(name)))

    def _where(
        self, connection: BaseDatabaseWrapper, names: Sequence[str], values: Sequence[Any], *, qualify: bool = False
    ) -> str:
        """``a = %s AND b IN (%s, %s)``: a list or tuple value is matched with ``IN`` (an empty one matches
        nothing). ``None`` is refused: ``= NULL`` would silently match nothing; use the ORM's ``isnull``.
        ``qualify``: columns named with their table (``"t"."a"``)."""
        prefix = f"{self._table(connection)}." if qualify else ""
        parts = []
        for name, value in zip(names, values, strict=True):
            column = prefix + self._column(connection, name)
            if isinstance(value, list | tuple):
                parts.append(f"{column} IN ({', '.join(['%s'] * len(value))})" if value else "1 = 0")
            else:
                parts.append(f"{column} = %s")
        return " AND ".join(parts)

    def _where_params(self, connection: BaseDatabaseWrapper, names: Sequence[str], values: Sequence[Any]) -> list[Any]:
        params: list[Any] = []
        for name, value in zip(names, values, strict=True):
            if value is None:  # checked on every call: the SQL is compiled once per shape
                raise ValueError(f"{self.meta.label}.{name}: a compiled statement cannot match NULL")
            field = self._field(name)
            if isinstance(value, list | tuple):
                params.extend(field.get_db_prep_value(item, connection) for item in value)
            else:
                params.append(field.get_db_prep_value(value, connection))
        return params


def _column_name(field: models.Field[Any, Any]) -> str:
    if field.column is None:
        raise TypeError(f"{field} has no column of its own")
    return field.column


def _shape(values: Iterable[Any]) -> tuple[int, ...]:
    return tuple(len(v) if isinstance(v, list | tuple) else -1 for v in values)


class Insert(_Statement):
    """``INSERT INTO <table> (<fields>) VALUES (…) RETURNING <pk>``.

    ``skip_on_conflict=<unique field>``: a row whose value is taken inserts nothing and returns ``None``
    (``ON CONFLICT (…) DO NOTHING``, SQLite ≥ 3.35 and PostgreSQL) — the unique constraint decides, as it
    does for a concurrent insert of the same value, without a savepoint.
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        *,
        skip_on_conflict: str | None = None,
        allow_save_override: bool = False,
    ) -> None:
        super().__init__(model, allow_save_override=allow_save_override)
        self.fields = [self._field(name) for name in fields]
        self.conflict = skip_on_conflict

    def _sql(self, connection: BaseDatabaseWrapper, rows: int, *, returning: bool) -> str:
        key = (connection.alias, rows, returning)
        sql = self._compiled.get(key)
        if sql is None:
            if returning and not connection.features.can_return_columns_from_insert:
                raise DatabaseError(f"{connection.vendor} cannot return the new row's id from an insert")
            quote = connection.ops.quote_name
            columns = ", ".join(quote(_column_name(field)) for field in self.fields)
            row = f"({', '.join(['%s'] * len(self.fields))})"
            # Identifiers come from the model's metadata, quoted; every value is a parameter.
            sql = f"INSERT INTO {self._table(connection)} ({columns}) VALUES {', '.join([row] * rows)}"  # noqa: S608
            if self.conflict:
                sql += f" ON CONFLICT ({self._column(connection, self.conflict)}) DO NOTHING"
            if returning:
                sql += f" RETURNING {self._column(connection, 'pk')}"
            self._compiled[key] = sql
        return sql

    def _params(self, connection: BaseDatabaseWrapper, values: Sequence[Any]) -> list[Any]:
        return [field.get_db_prep_save(value, connection) for field, value in zip(self.fields, values, strict=True)]

    def one(self, *values: Any) -> Any:
        """Insert one row; its primary key, or ``None`` when ``skip_on_conflict`` skipped it."""
        connection = self._connection(write=True, saves=True)
        with connection.cursor() as cursor:
            cursor.execute(self._sql(connection, 1, returning=True), self._params(connection, values))
            row = cursor.fetchone()
        return row[0] if row else None

    def add(self, instance: models.Model) -> bool:
        """Insert the new, unsaved ``instance`` (this statement's fields, by value); ``True`` and the
        instance now stored (its primary key set) — or ``False`` when ``skip_on_conflict`` skipped it."""
        if not isinstance(instance, self.model) or not instance._state.adding:
            raise TypeError(f"add() takes a new {self.meta.label}")
        pk = self.one(*(getattr(instance, field.attname) for field in self.fields))
        if pk is None:
            return False
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = router.db_for_write(self.model) or "default"
        return True

    def many(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` in one statement."""
        if not rows:
            return
        connection = self._connection(write=True, saves=True)
        params = [param for values in rows for param in self._params(connection, values)]
        with connection.cursor() as cursor:
            cursor.execute(self._sql(connection, len(rows), returning=False), params)


class Update(_Statement):
    """``UPDATE <table> SET <fields> WHERE <where>``; returns the number of rows changed."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, where: Sequence[str] = ("pk",)) -> None:
        super().__init__(model, allow_save_override=True)  # an update never runs save()
        self.fields = [self._field(name) for name in fields]
        self.where = tuple(where)

    def __call__(self, values: Sequence[Any], *where: Any) -> int:
        connection = self._connection(write=True, saves=True)
        key = (connection.alias, _shape(where))
        sql = self._compiled.get(key)
        if sql is None:
            sets = ", ".join(f"{connection.ops.quote_name(_column_name(field))} = %s" for field in self.fields)
            where_sql = self._where(connection, self.where, where)
            sql = f"UPDATE {self._table(connection)} SET {sets} WHERE {where_sql}"  # noqa: S608 (as Insert)
            self._compiled[key] = sql
        params = [field.get_db_prep_save(value, connection) for field, value in zip(self.fields, values, strict=True)]
        params += self._where_params(connection, self.where, where)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)

    def save(self, instance: models.Model) -> None:
        """Write ``instance``'s values of this statement's fields to its row, like
        ``instance.save(update_fields=…)`` (and, like it, raise when the row is gone)."""
        if self.where != ("pk",):
            raise TypeError("save() needs a statement matched by primary key")
        values = [getattr(instance, field.attname) for field in self.fields]
        if self(values, instance.pk) != 1:
            raise DatabaseError(f"{self.meta.label} {instance.pk} was not updated: the row is gone")


class Select(_Statement):
    """``SELECT <columns> FROM <table> [JOIN …] WHERE <where> [ORDER BY …] [LIMIT …] [FOR UPDATE …]``.

    ``fields=None`` reads every concrete field and ``get`` / ``all`` return model instances; otherwise
    ``rows`` returns tuples of the named fields. Values are converted as the ORM converts them.

    ``related`` (with ``fields=None``): forward foreign keys read in the same statement, like
    ``select_related`` — joined as the ORM joins them (``INNER`` when the key cannot be null, else
    ``LEFT OUTER``), each related row cached on the instance. ``for_update`` locks this table's rows only
    (``FOR UPDATE OF``, like ``select_for_update(of=("self",))``), ``skip_locked`` skips rows another
    transaction holds (on databases with row locks; SQLite has neither and runs the plain ``SELECT``).
    """

    def __init__(
        self,
        model: type[models.Model],
        *,
        where: Sequence[str],
        fields: Sequence[str] | None = None,
        related: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
        for_update: bool = False,
        skip_locked: bool = False,
    ) -> None:
        super().__init__(model, allow_save_override=True)  # reads never save
        if related and fields is not None:
            raise TypeError("related rows come with instances: leave fields out")
        if skip_locked and not for_update:
            raise TypeError("skip_locked needs for_update")
        self.instances = fields is None
        self.fields = list(self.meta.concrete_fields) if fields is None else [self._field(name) for name in fields]
        self.related = [self._foreign_key(name) for name in related]
        self.where = tuple(where)
        self.order_by = tuple(order_by)
        self.limit = limit
        self.for_update = for_update
        self.skip_locked = skip_locked

    def _foreign_key(self, name: str) -> models.ForeignKey[Any, Any]:
        field = self.meta.get_field(name)
        if not isinstance(field, models.ForeignKey):
            raise TypeError(f"{self.meta.label}.{name} is not a foreign key")
        return field

    def _compile(
        self, connection: BaseDatabaseWrapper, where: Sequence[Any]
    ) -> tuple[str, list[tuple[int, Any, list[Converter]]]]:
        key = (connection.alias, _shape(where))
        compiled = self._compiled.get(key)
        if compiled is None:
            quote = connection.ops.quote_name
            table = self._table(connection)
            # Columns are qualified by their table, so a joined table's ``id`` is never ambiguous.
            columns = [(self.meta.db_table, field) for field in self.fields]
            joins = []
            for index, fk in enumerate(self.related):
                alias = f"{self.meta.db_table}_r{index}"
                target = fk.related_model._meta
                join = "LEFT OUTER JOIN" if fk.null else "INNER JOIN"
                target_column = quote(_column_name(fk.target_field))
                joins.append(
                    f" {join} {quote(target.db_table)} {quote(alias)}"
                    f" ON ({quote(alias)}.{target_column} = {table}.{quote(_column_name(fk))})"
                )
                columns += [(alias, field) for field in target.concrete_fields]
            select = ", ".join(f"{quote(alias)}.{quote(_column_name(field))}" for alias, field in columns)
            where_sql = self._where(connection, self.where, where, qualify=True)
            sql = f"SELECT {select} FROM {table}{''.join(joins)} WHERE {where_sql}"  # noqa: S608 (as Insert)
            if self.order_by:
                order = ", ".join(
                    f"{table}.{self._column(connection, name.lstrip('-'))}{' DESC' if name.startswith('-') else ''}"
                    for name in self.order_by
                )
                sql += f" ORDER BY {order}"
            if self.limit is not None:
                sql += f" LIMIT {int(self.limit)}"
            if self.for_update and connection.features.has_select_for_update:
                sql += " FOR UPDATE"
                if self.related:  # like of=("self",): a joined row (a payer, an agency) is not locked
                    if not connection.features.has_select_for_update_of:
                        raise DatabaseError(f"{connection.vendor} cannot lock one table of a join")
                    sql += f" OF {table}"
                if self.skip_locked:
                    if not connection.features.has_select_for_update_skip_locked:
                        raise DatabaseError(f"{connection.vendor} cannot skip locked rows")
                    sql += " SKIP LOCKED"
            converters = []  # (position, column, the ORM's converters for it) where there are any
            for index, (alias, field) in enumerate(columns):
                column = field.get_col(alias)
                chain = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if chain:
                    converters.append((index, column, chain))
            compiled = self._compiled[key] = (sql, converters)
        return compiled

    def rows(self, *where: Any) -> list[tuple[Any, ...]]:
        connection = self._connection(write=self.for_update)
        sql, converters = self._compile(connection, where)
        with connection.cursor() as cursor:
            cursor.execute(sql, self._where_params(connection, self.where, where))
            fetched = cursor.fetchall()
        if not converters:
            return [tuple(row) for row in fetched]
        result = []
        for row in fetched:
            values = list(row)
            for index, column, chain in converters:
                for convert in chain:
                    values[index] = convert(values[index], column, connection)
            result.append(tuple(values))
        return result

    def all(self, *where: Any) -> list[Any]:
        """Every matching row as a model instance (``fields=None``), its ``related`` rows cached on it."""
        if not self.instances:
            raise TypeError("all() needs a statement that reads every field")
        alias = (router.db_for_write if self.for_update else router.db_for_read)(self.model) or "default"
        names = [field.attname for field in self.fields]
        instances = []
        for row in self.rows(*where):
            instance = self.model.from_db(alias, names, row[: len(names)])
            start = len(names)
            for fk in self.related:
                target = fk.related_model._meta
                values = row[start : start + len(target.concrete_fields)]
                start += len(target.concrete_fields)
                # A LEFT OUTER JOIN that found nothing: the key is null, and so is the related object.
                related = (
                    None
                    if values[target.concrete_fields.index(target.pk)] is None
                    else fk.related_model.from_db(alias, [field.attname for field in target.concrete_fields], values)
                )
                fk.set_cached_value(instance, related)
            instances.append(instance)
        return instances

    def get(self, *where: Any) -> Any:
        """The first matching row as a model instance (``fields=None``), or ``None``."""
        found = self.all(*where)
        return found[0] if found else None
