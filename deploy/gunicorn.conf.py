"""gunicorn settings for carbon-ledger (used by `carbon-ledger serve`).

Every value can be overridden with an environment variable (see deploy/env.example).
Web workers never run periodic jobs; those belong to the one scheduler process.
"""

import multiprocessing
import os

wsgi_app = "ledger.web.wsgi:app"
bind = os.environ.get("LEDGER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LEDGER_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
threads = 1
timeout = int(os.environ.get("LEDGER_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Behind nginx on the same host: trust its X-Forwarded-* headers only.
forwarded_allow_ips = os.environ.get("LEDGER_FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LEDGER_LOG_LEVEL", "info")
# Create the app in each worker: no database connections are shared across a fork.
preload_app = False
