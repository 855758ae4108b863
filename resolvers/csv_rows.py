"""Reading a CSV of records into rows: the one reader of the batch CLI and of the service's imports.

A quoted cell may hold line breaks, so a row may take several lines. A stray ``"`` that opens a
cell would then take every line after it into that cell, silently: the rows of the rest of the
file would be lost inside one garbled record. So a row over several lines must be readable as CSV
strictly (its quoted cell closes where a cell may end, before the file ends), hold no more cells
than the header has columns, and be no longer than a record may be; otherwise it is an error row
numbered by the line it starts on, and its other lines are read again as rows of their own. One
stray quote costs one line. A row on one line is read as leniently as the ``csv`` module reads by
default (``"Acme" Inc`` is ``Acme Inc``).

Rows are ``(line number, record body)``, lines counted from 1 with the header as line 1; an error
row's body is ``{ROW_ERROR: reason}``.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from resolvers.records import csv_delimiter, record_from_csv_row

__all__ = ["ROW_ERROR", "CountedLines", "CsvHeaderError", "LineTooLongError", "NumberedLines", "csv_encoding",
           "csv_rows"]

ROW_ERROR = "__error__"  # the key of an error row's reason
_NO_CELL_CAP = sys.maxsize // 2  # the largest cap the csv module takes (a C long)


def csv_encoding(head: bytes) -> str:
    """Return the text encoding of a CSV starting with the bytes ``head``: UTF-16 after its byte order mark, else UTF-8.

    Excel's "Unicode text" export and Windows PowerShell's ``>`` write UTF-16 with its byte order
    mark; read as UTF-8, every line of such a file would be garbled. A UTF-8 byte order mark is
    skipped.
    """
    return "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"


class CsvHeaderError(ValueError):
    """The CSV header cannot name the rows' cells (it names a column twice)."""


class LineTooLongError(ValueError):
    """A line of the file is longer than a record may be: it was read past, not into memory."""


class NumberedLines(Protocol):
    """Lines of text with their line breaks, counted as they are read; one may raise ``LineTooLongError``."""

    count: int  # how many lines were read, the last one included
    limit: int  # the most characters a row may take

    def __iter__(self) -> Iterator[str]: ...

    def __next__(self) -> str: ...


class CountedLines:
    """The lines of a text stream opened with ``newline=""``, counted; none is refused for its length."""

    def __init__(self, lines: Iterable[str], *, limit: int) -> None:
        self._lines = iter(lines)
        self.count = 0
        self.limit = limit

    def __iter__(self) -> CountedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


class _RowTooLongError(ValueError):
    """A row over several lines is longer than a record may be."""


class _RowLines:
    """The strict reader's line source: keeps the lines of the row being read, so that they can be read again."""

    def __init__(self, lines: NumberedLines) -> None:
        self._lines = lines
        self._again: deque[tuple[int, str | LineTooLongError]] = deque()
        self.row: list[tuple[int, str | LineTooLongError]] = []  # the current row's lines, by number
        self.ran_out = False  # the lines ended inside the current row: a quoted cell was never closed
        self._size = 0

    def __iter__(self) -> _RowLines:
        return self

    def __next__(self) -> str:
        line: str | LineTooLongError
        if self._again:
            number, line = self._again.popleft()
        else:
            try:
                line = next(self._lines)
            except LineTooLongError as error:
                line = error
            except StopIteration:
                self.ran_out = bool(self.row)
                raise
            number = self._lines.count
        self.row.append((number, line))
        if isinstance(line, LineTooLongError):
            raise line
        self._size += len(line)
        if len(self.row) > 1 and self._size > self._lines.limit:
            raise _RowTooLongError(f"it is longer than {self._lines.limit:,} characters")
        return line

    def next_row(self) -> None:
        """Start reading the next row."""
        self.row, self.ran_out, self._size = [], False, 0

    def replay_after_first(self) -> None:
        """Have the current row's lines after its first read again, before any line not read yet."""
        self._again.extendleft(reversed(self.row[1:]))


def csv_rows(lines: NumberedLines, *, too_long: str = "the line is longer than a record may be; it was not read"
             ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record body)`` for each row of a CSV's ``lines``, or an error row (see the module doc).

    The header (the first line) names the columns and says the delimiter (``records.csv_delimiter``);
    a short row's missing cells are left out, blank lines are skipped. A line that raised
    ``LineTooLongError`` is an error row with the reason ``too_long``. One raised on the header
    propagates, as ``CsvHeaderError`` does for a header naming a column twice: no row can be read
    without a header.
    """
    header = next(lines, None)
    if header is None:
        return
    # The csv module's own cap on a cell (131,072 characters by default) would end the reading at a long
    # cell: the caps on a line and on a row are the ones that hold, and a cell too long for a record
    # fails validation. The setting is the process's; every reading sets it alike.
    csv.field_size_limit(_NO_CELL_CAP)
    delimiter = csv_delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter))
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        # Which cell would hold the field? The later one would silently win over the earlier.
        raise CsvHeaderError(f"the CSV header names {', '.join(map(repr, twice))} more than once: a field takes "
                             "one column (several emails or phones go in one `emails` or `phones` cell, split by ;)")
    source = _RowLines(lines)
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    while True:
        source.next_row()
        cells: list[str] | None = None
        try:
            cells = next(reader)
        except StopIteration:
            return
        except LineTooLongError:
            problem = "a line of it is too long"
        except _RowTooLongError as error:
            problem = str(error)
        except csv.Error as error:
            problem = "the file ends inside that cell" if source.ran_out else f"then it breaks CSV's rules ({error})"
        first, line = source.row[0]
        if cells is None and len(source.row) == 1 and not source.ran_out:
            if isinstance(line, LineTooLongError):
                yield first, {ROW_ERROR: too_long}
                continue
            cells = _lenient_cells(line, delimiter=delimiter)
            if cells is None:
                yield first, {ROW_ERROR: f"the row cannot be read as CSV: {problem.removeprefix('then it breaks ')}"}
                continue
        if cells is not None and len(cells) <= len(names):
            if cells:
                yield first, record_from_csv_row(dict(itertools.zip_longest(names, cells)))
        elif len(source.row) == 1 and not source.ran_out:
            yield first, {ROW_ERROR: "the row has more cells than the header has columns"}
        else:
            if cells is not None:
                problem = "then it has more cells than the header has columns"
            again = "; the lines after this one are read as rows of their own" if len(source.row) > 1 else ""
            yield first, {ROW_ERROR: f"the row cannot be read as CSV: a quoted cell opened on this line (a \" that "
                                     f"starts a cell) takes the line breaks after it, and {problem}{again}"}
            source.replay_after_first()


def _lenient_cells(line: str, *, delimiter: str) -> list[str] | None:
    """Return the cells of a row on one line as the ``csv`` module reads it by default, without its strict checks.

    None when a quoted cell is still open at the line's end: read leniently, the row would go on over
    the next lines.
    """
    wanted_more = False

    def the_line() -> Iterator[str]:
        nonlocal wanted_more
        yield line
        wanted_more = True

    cells = next(csv.reader(the_line(), delimiter=delimiter), [])
    return None if wanted_more else cells
