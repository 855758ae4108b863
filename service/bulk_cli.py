"""The data engineer's commands: ``throughline import``, ``cancel-import``, ``export`` and ``resolve``.

``import``, ``cancel-import`` and ``export`` talk to a running server over HTTP (``--url``, ``--api-key`` or the
``THROUGHLINE_URL`` and ``THROUGHLINE_API_KEY`` environment variables); ``resolve`` is the offline
batch resolver (``python -m resolvers resolve``) and needs no server.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from resolvers import cli as batch_cli

__all__ = ["ExportKind", "cancel_import_command", "export_command", "import_command", "resolve_command"]

UrlOption = Annotated[str, typer.Option("--url", envvar="THROUGHLINE_URL", help="The server's base URL.")]
KeyOption = Annotated[str, typer.Option("--api-key", envvar="THROUGHLINE_API_KEY",
                                        help="An API key (write scope to import, read scope to export).")]
_UPLOAD_CHUNK = 1 << 20
_MEDIA = {".ndjson": "application/x-ndjson", ".jsonl": "application/x-ndjson", ".json": "application/x-ndjson",
          ".csv": "text/csv"}


class ExportKind(StrEnum):
    """What ``throughline export`` writes."""

    assignments = "assignments"
    profiles = "profiles"


def _headers_for(path: Path) -> dict[str, str]:
    """Return the Content-Type (and Content-Encoding) a file is sent with, from its name."""
    name = path.name.lower()
    encoding = "gzip" if name.endswith(".gz") else None
    suffix = Path(name.removesuffix(".gz")).suffix
    if suffix not in _MEDIA:
        raise typer.BadParameter(f"{path.name}: name the file .ndjson, .jsonl or .csv (optionally .gz)")
    headers = {"content-type": _MEDIA[suffix]}
    if encoding:
        headers["content-encoding"] = encoding
    return headers


def _fail(response: httpx.Response) -> typer.Exit:
    """Print the server's error (its code, message and each detail's field, value and reason); return exit code 2."""
    try:
        error = response.json()["error"]
        message = f"{error['code']}: {error['message']}"
        details = [f"  {d.get('field') or '(body)'}: {d.get('reason')} (value: {json.dumps(d.get('value'))[:200]})"
                   for d in error.get("details") or []]
    except (ValueError, KeyError, TypeError, AttributeError):
        message, details = response.text[:500], []
    typer.echo("\n".join([f"error: HTTP {response.status_code} {message}", *details]), err=True)
    return typer.Exit(2)


@contextmanager
def _reaching(url: str, *, after: list[str]) -> Iterator[None]:
    """Turn a failure to reach the server at ``url`` into a message and exit code 3, not a traceback.

    ``after`` holds what is true if the failure comes after some request went through (an import
    queued goes on on the server); empty before.
    """
    try:
        yield
    except httpx.HTTPError as error:
        typer.echo(f"error: could not talk to the server at {url}: {type(error).__name__}: {error}", err=True)
        for line in after:
            typer.echo(line, err=True)
        raise typer.Exit(3) from None


def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="Records: .ndjson, .jsonl or .csv, optionally .gz.")],
    url: UrlOption = "http://127.0.0.1:8000",
    api_key: KeyOption = "",
    errors: Annotated[Path | None, typer.Option(help="Write the rejected lines here as NDJSON.")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job until it finishes.")] = True,
) -> None:
    """Upload a file to POST /v1/imports and follow the job with a progress bar (records/s, ETA)."""
    headers = {**_headers_for(file), "Authorization": f"Bearer {api_key}"}
    size = file.stat().st_size
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), DownloadColumn(),
               TimeRemainingColumn())
    after: list[str] = []
    with _reaching(url, after=after), httpx.Client(base_url=url, timeout=httpx.Timeout(60, read=600)) as client:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("uploading", total=size)

            def chunks() -> Iterator[bytes]:
                with file.open("rb") as handle:
                    while part := handle.read(_UPLOAD_CHUNK):
                        progress.advance(task, len(part))
                        yield part

            response = client.post("/v1/imports", content=chunks(), headers=headers)
        if response.status_code != 202:
            raise _fail(response)
        job: dict[str, Any] = response.json()
        console.print(f"import {job['id']} queued ({size:,} bytes)")
        after.append(f"import {job['id']} was queued and goes on on the server: `curl {url}/v1/imports/{job['id']}` "
                     "(with the API key) tells how it ends")
        if wait:
            try:
                job = _follow(client, job, headers, console)
            except KeyboardInterrupt:
                console.print(f"stopped following: import {job['id']} goes on on the server; cancel it with "
                              f"`throughline cancel-import {job['id']}` (until it begins applying)")
                raise typer.Exit(130) from None
        if errors is not None:
            _download(client, f"/v1/imports/{job['id']}/errors", headers, errors)
    typer.echo(json.dumps(job, indent=2))
    if job["state"] in ("failed", "cancelled"):
        raise typer.Exit(1)


def _follow(client: httpx.Client, job: dict[str, Any], headers: dict[str, str], console: Console) -> dict[str, Any]:
    """Poll the job until it finishes, showing its phase, lines read, records/s and ETA."""
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[lines]:>10,} lines  {task.fields[speed]:>8} rec/s  ETA {task.fields[eta]}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("importing", total=1.0, lines=0, speed="-", eta="-")
        while job["state"] in ("queued", "running"):
            time.sleep(0.5)
            response = client.get(f"/v1/imports/{job['id']}", headers={"Authorization": headers["Authorization"]})
            if response.status_code != 200:
                raise _fail(response)
            job = response.json()
            speed = f"{job['records_per_second']:,.0f}" if job["records_per_second"] else "-"
            eta = f"{job['eta_seconds']:,.0f} s" if job["eta_seconds"] is not None else "-"
            # While applying, the bar counts the records stored (when the server knows), not the bytes read.
            done = job["progress"]
            if job["phase"] == "applying" and job.get("records_to_apply"):
                done = job["records_applied"] / job["records_to_apply"]
            progress.update(task, completed=done, lines=job["counts"]["lines_read"], speed=speed, eta=eta,
                            description=job["phase"] if job["state"] == "running" else job["state"])
    counts = job["counts"]
    console.print(f"import {job['id']} {job['state']}: {counts['accepted']:,} lines accepted, "
                  f"{counts['rejected']:,} rejected; records {counts['records_created']:,} created, "
                  f"{counts['records_updated']:,} updated, {counts['records_unchanged']:,} unchanged")
    return job


def cancel_import_command(
    job_id: Annotated[str, typer.Argument(help="The import's id (imp_…), as `throughline import` printed it.")],
    url: UrlOption = "http://127.0.0.1:8000",
    api_key: KeyOption = "",
) -> None:
    """Cancel an import that has not begun applying (POST /v1/imports/{id}/cancel): nothing of it is applied."""
    with _reaching(url, after=[]), httpx.Client(base_url=url, timeout=httpx.Timeout(60)) as client:
        response = client.post(f"/v1/imports/{job_id}/cancel", headers={"Authorization": f"Bearer {api_key}"})
    if response.status_code != 200:
        raise _fail(response)
    typer.echo(json.dumps(response.json(), indent=2))


def _download(client: httpx.Client, path: str, headers: dict[str, str], output: Path | None) -> int:
    """Stream an NDJSON endpoint to ``output`` (stdout when None) byte for byte; return the number of lines.

    Lines end at a newline only: httpx's ``iter_lines`` also breaks them at the line separators
    ``str.splitlines`` knows (U+2028 in a name), which a server of another version may send unescaped.
    """
    lines, last = 0, b"\n"
    with client.stream("GET", path, headers={"Authorization": headers["Authorization"]}) as response:
        if response.status_code != 200:
            response.read()
            raise _fail(response)
        sink = output.open("wb") if output else sys.stdout.buffer
        try:
            for chunk in response.iter_bytes():
                sink.write(chunk)
                lines += chunk.count(b"\n")
                last = chunk[-1:] or last
            if last != b"\n":
                sink.write(b"\n")
                lines += 1
        finally:
            if output:
                sink.close()
            else:
                sink.flush()
    return lines


def export_command(
    kind: Annotated[ExportKind, typer.Argument(help="assignments ({source, source_record_id, profile_id} per "
                                                    "record) or profiles (one golden profile per line).")],
    url: UrlOption = "http://127.0.0.1:8000",
    api_key: KeyOption = "",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Stream GET /v1/exports/assignments or /v1/exports/profiles as NDJSON."""
    with _reaching(url, after=[]), httpx.Client(base_url=url, timeout=httpx.Timeout(60, read=600)) as client:
        lines = _download(client, f"/v1/exports/{kind.value}", {"Authorization": f"Bearer {api_key}"}, output)
    typer.echo(f"{lines:,} {kind.value} exported", err=True)


def resolve_command(context: typer.Context) -> None:
    """Resolve a file offline (no server): the batch CLI, `--input F --output G` (see `--help`)."""
    raise typer.Exit(batch_cli.main(["resolve", *context.args]))
