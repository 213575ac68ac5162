"""PostgreSQL's bulk path: COPY … FROM STDIN on the transaction's own connection.

COPY has no ON CONFLICT, so it is only for rows that cannot conflict: the children of a report row that the
same transaction has just inserted (see Store._write_batch). It sends rows as one stream instead of one
parameter set per row; `benchmarks/store_bench.py` measures it against INSERT.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table


def copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    names = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    # The DBAPI connection under SQLAlchemy's: same transaction, so the COPY commits or rolls back with the
    # rest of the batch.
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    finally:
        cursor.close()
