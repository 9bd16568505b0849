FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENGAGIERT_DATA_DIR=/data \
    ENGAGIERT_HTTP_HOST=0.0.0.0 \
    ENGAGIERT_HTTP_PORT=8080

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY core core
COPY storage storage
RUN pip install --no-cache-dir . \
    && useradd --system --uid 1000 --home-dir /data engagiert \
    && mkdir -p /data && chown engagiert /data

USER engagiert
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["engagiert-bot", "serve"]
