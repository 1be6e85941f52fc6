"""Django's database cache with an atomic ``incr``.

Django's ``DatabaseCache.incr`` reads the value and writes it back in two statements, so two
processes counting the same key lose increments. Here the row is read and rewritten in one
transaction that holds it: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the connection's
``BEGIN IMMEDIATE`` takes the write lock. Counters (the API rate limit) are therefore exact
across every web process sharing the database. Call it outside a long transaction: the row
stays locked until the enclosing transaction ends.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, value_col, key_col = quote(self._table), quote("value"), quote("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            # Only quoted identifiers are interpolated; values are parameters.
            select = f"SELECT {value_col} FROM {table} WHERE {key_col} = %s"  # noqa: S608
            cursor.execute(f"{select} AND {quote('expires')} >= %s{lock}", [key, now])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            # The cache's own encoding (Django's DatabaseCache pickles every value it stores).
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {value_col} = %s WHERE {key_col} = %s",  # noqa: S608
                [encoded, key],
            )
        return value
