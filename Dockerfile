# Throughline API image: `docker build -t throughline .` then
# `docker run -p 8000:8000 -v throughline-data:/data throughline`
# (or -e THROUGHLINE_DATABASE_URL=postgresql+psycopg://user:password@host:5432/db).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, read from pyproject.toml, so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md ./
COPY resolvers ./resolvers
COPY service ./service
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 throughline \
    && mkdir /data \
    && chown throughline /data

USER throughline
ENV THROUGHLINE_DATABASE_URL=sqlite:////data/throughline.db \
    THROUGHLINE_IMPORT_DIR=/data/imports
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)"]

# `throughline serve` (not bare uvicorn): it sets up the JSON logs and turns off uvicorn's access log,
# whose lines would carry raw paths (record ids may be emails).
CMD ["sh", "-c", "throughline migrate && exec throughline serve --host 0.0.0.0 --port 8000"]
