"""The bulk path for rows that cannot conflict: the children of a report row that the same transaction has just
inserted (see Store._write_batch). A report brings a hundred cells or more, and SQLAlchemy's per-row parameter
processing of an executemany cost more than the database's own work; `benchmarks/store_bench.py` measures both
paths against each other.

- PostgreSQL: COPY … FROM STDIN (no ON CONFLICT, hence only for such rows), one stream instead of one parameter
  set per row.
- SQLite: the driver's own executemany with tuples, bypassing the per-row processing (the child tables hold
  only strings, numbers, booleans and NULL, which sqlite3 binds as they are).

Both run on the transaction's own DBAPI connection, so the rows commit or roll back with the rest of the batch.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    values = itemgetter(*columns)  # a tuple per row: child rows always have several columns
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
        else:
            marks = ", ".join("?" * len(columns))
            insert = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608 - identifiers only
            cursor.executemany(insert, [values(row) for row in rows])
    finally:
        cursor.close()
