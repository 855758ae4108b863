"""Normalizers, one module per kind of value; ``record.normalize_record`` runs them all.

Each normalizer takes user text (and hints) and returns a canonical value with metadata, or a
``Rejection`` with a machine-readable code. None of them raises on user data, does I/O or
imports a web or database framework.
"""
