# The service image. Its command is the one server command (`python -m service`, as `make run`);
# without settings it serves the bundled model on 0.0.0.0:8000. In ECS the task definition sets
# HOST=127.0.0.1 (only nginx, in the same task, reaches the app) and MODEL_URI=s3://... (infra/).
# Build from the repository root (tensorflow-cpu wheels are x86-64):
#   docker build --platform linux/amd64 -t facesim .
# tests/infra/test_dockerfile.py lints this file and runs its CMD with its ENV on the bundled model.

# --- build: the virtual environment, from wheels only (no compiler needed, none shipped) -------
FROM python:3.11-slim-bookworm AS build
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt \
 && /opt/venv/bin/pip check --disable-pip-version-check
# tensorflow-cpu ships its C++ headers (~290 MB) for compiling custom ops; serving never reads them,
# and Fargate pulls every byte of the image at each task start (docs/DEPLOY.md, image hygiene).
RUN rm -r "$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/tensorflow/include"

# --- runtime: the venv, the code and the model; no build tools, not root ----------------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 facesim \
 && useradd --system --uid 10001 --gid facesim --create-home --home-dir /home/facesim \
      --shell /usr/sbin/nologin facesim
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY service/ service/
COPY models/ models/
# MODEL_CACHE_DIR defaults to /app/.cache/models (service/config.py): the only place the app writes.
# VOLUMEs, so that under ECS's read-only root filesystem the task's bind mounts there start as
# copies of these directories, ownership and /tmp's 1777 included (infra/constructs/containers.py);
# TensorFlow writes generated code to /tmp at warm-up.
RUN mkdir -p /app/.cache/models && chown -R facesim:facesim /app/.cache
VOLUME ["/app/.cache", "/tmp"]
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000
USER 10001:10001
EXPOSE 8000
# Liveness only (the process answers); readiness (/readyz) is the load balancer's question.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"]
# SIGTERM (Docker's default stop signal) starts uvicorn's graceful shutdown (GRACEFUL_TIMEOUT).
CMD ["python", "-m", "service"]
