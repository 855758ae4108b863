"""Throughline's domain core: normalization, matching and clustering of contact records.

Pure: no I/O, no web framework, no database. The service (``service``) and the batch CLI
(``python -m resolvers``) are thin shells around it.
"""

from resolvers.normalize.record import normalize_record
from resolvers.records import AddressIn, Issue, NormalizedRecord, RecordIn, RecordKey

__all__ = ["AddressIn", "Issue", "NormalizedRecord", "RecordIn", "RecordKey", "normalize_record"]
