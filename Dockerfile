# The web/worker image of the production-shaped stack (docker-compose.yml).
# Not buildable on the project's offline machines (no registry); built in production CI.
FROM python:3.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 arena
WORKDIR /app

# Dependencies first so code changes do not rebuild the torch layer.
COPY pyproject.toml README.md ./
RUN pip install "torch==2.14.1" "torchvision==0.29.1"
COPY arena ./arena
COPY evaluator ./evaluator
COPY sandbox ./sandbox
COPY migrations ./migrations
COPY leaderboard_ui ./leaderboard_ui
COPY datasets ./datasets
COPY scripts ./scripts
RUN pip install -e .

USER arena
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "arena:create_app()"]
