"""The numbers the app container, nginx and the load balancer must agree on (docs/DEPLOY.md explains them).

Fixed, not context: changing one means changing the service, nginx/ or the image too. The tests
check the synthesized template against these and against nginx/ and the Dockerfile.
"""

from __future__ import annotations

from typing import Final

# The app listens on loopback: only nginx, in the same task, reaches it.
APP_HOST: Final = "127.0.0.1"
APP_PORT: Final = 8000
NGINX_HTTPS_PORT: Final = 8443  # the only port the load balancer reaches
NGINX_HTTP_PORT: Final = 8080  # nginx's own HTTP -> HTTPS redirect; not exposed by the task
LIVENESS_PATH: Final = "/healthz"  # ECS container health check
READINESS_PATH: Final = "/readyz"  # target-group health check (503 until the model is warm)
MAX_REQUEST_BYTES: Final = 32 * 1024 * 1024  # app MAX_REQUEST_BYTES = nginx client_max_body_size
# The directories the containers write (their root filesystems are read-only); each Dockerfile
# declares its own as VOLUMEs owned by the image's user.
APP_CACHE_DIR: Final = "/app/.cache"  # MODEL_CACHE_DIR (/app/.cache/models) lives under it
APP_TMP_DIR: Final = "/tmp"  # TensorFlow autograph's generated code (found by make rehearse)
NGINX_RUN_DIR: Final = "/tmp/nginx"  # nginx/entrypoint RUN_DIR: config, certificate, temp files

# Shutdown ordering, so that in-flight requests finish when a task is replaced:
#   1. the ALB stops sending new requests and drains the target for DEREGISTRATION_DELAY_S;
#   2. ECS then stops nginx first (it depends on the app): SIGQUIT, nginx lets open requests finish;
#      no request waits longer than NGINX_PROXY_READ_TIMEOUT_S for the app;
#   3. then the app gets SIGTERM and uvicorn finishes its requests within APP_GRACEFUL_TIMEOUT_S,
#      which is below CONTAINER_STOP_TIMEOUT_S, after which ECS would SIGKILL.
NGINX_PROXY_READ_TIMEOUT_S: Final = 30
DEREGISTRATION_DELAY_S: Final = 30  # >= the longest request nginx lets run
APP_GRACEFUL_TIMEOUT_S: Final = 20
CONTAINER_STOP_TIMEOUT_S: Final = 30  # > APP_GRACEFUL_TIMEOUT_S; Fargate allows up to 120
ALB_IDLE_TIMEOUT_S: Final = 60  # >= nginx proxy_read_timeout; < nginx keepalive_timeout (75 s)
