"""SQLite backend that knows the real bound-parameter limit of the linked library.

Django 5.2 assumes SQLite's historic limit of 999 parameters and splits a ``bulk_create`` of a
500-line order into a dozen statements. SQLite 3.32+ allows 32766, so one statement does, and
saving an order costs the same number of queries whatever its size (DESIGN invariant 11).
"""

import sqlite3

from django.db.backends.sqlite3 import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
