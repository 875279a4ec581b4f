# The images of the production-shaped stack (docker-compose.yml): one recipe, two images.
#   docker build --build-arg EXTRAS=web    -t stylearena-web .     # gunicorn + Flask, no torch
#   docker build --build-arg EXTRAS=worker -t stylearena-worker .  # RQ worker: torch, metrics, Docker SDK
# Not buildable on the project's offline machines (no registry); built in production CI.
FROM python:3.11-slim-bookworm

ARG EXTRAS=web
ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 arena
WORKDIR /app

COPY pyproject.toml README.md ./
COPY arena ./arena
COPY evaluator ./evaluator
COPY sandbox ./sandbox
COPY migrations ./migrations
COPY leaderboard_ui ./leaderboard_ui
COPY datasets ./datasets
COPY scripts ./scripts
# The web image installs the `web` extra only: its gunicorn workers never hold torch.
RUN pip install -e ".[${EXTRAS}]"

USER arena
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "arena:create_app()"]
