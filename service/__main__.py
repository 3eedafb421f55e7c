"""The one server command: `python -m service` (make run, the Dockerfile and the Procfile use it)."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import uvicorn
from pydantic import ValidationError

from service.config import Settings, describe_error
from service.logs import configure_logging
from service.main import create_app
from service.runtime import Runtime


class _Server(uvicorn.Server):
    """uvicorn's server, telling the runtime when its graceful shutdown begins (uploads still
    arriving at its end are answered 503, not 500)."""

    def __init__(self, config: uvicorn.Config, runtime: Runtime) -> None:
        super().__init__(config)
        self._runtime = runtime

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM or SIGINT: drain."""
        self._runtime.draining = True
        super().handle_exit(sig, frame)


def main() -> int:
    """Validate settings, serve until stopped, and exit non-zero if no valid model could be had."""
    try:
        settings = Settings()
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    servers: list[uvicorn.Server] = []

    def stop_server(reason: str) -> None:
        # Ask uvicorn to shut down from inside; a signal would be re-raised and hide our exit code.
        servers[0].should_exit = True

    app = create_app(settings, on_fatal=stop_server)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_timeout),
        timeout_keep_alive=65,  # longer than the ALB's and nginx's idle timeouts
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
    )
    servers.append(_Server(config, app.state.runtime))
    # uvicorn re-raises SIGTERM/SIGINT once its graceful shutdown is over (the process would then
    # die by the signal, exit status 143); every request was answered or GRACEFUL_TIMEOUT passed by
    # then, so this is a clean stop: the handlers uvicorn restores ignore it and we exit 0.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    servers[0].run()
    return 1 if app.state.runtime.fatal_error else 0


if __name__ == "__main__":
    sys.exit(main())
