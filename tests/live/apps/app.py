"""WSGI app for the live tier: `?sleep=S` sleeps S seconds, `?id=I` names the request. Logs the
start and the completion of every request to $LIVE_APP_LOG, and returns the monotonic time it
finished (the driver times its next request from it: CLOCK_MONOTONIC is shared by processes)."""

import os
import time
from urllib.parse import parse_qs

LOG = os.environ.get("LIVE_APP_LOG")


def log(msg):
    if LOG:
        with open(LOG, "a") as f:
            f.write(msg + "\n")


def app(environ, start_response):
    q = parse_qs(environ.get("QUERY_STRING", ""))
    n = int(environ.get("CONTENT_LENGTH") or 0)
    if n:
        environ["wsgi.input"].read(n)
    secs = float(q.get("sleep", ["0"])[0])
    rid = q.get("id", ["-"])[0]
    log(f"start id={rid} sleep={secs}")
    time.sleep(secs)
    done = time.monotonic()
    log(f"done id={rid} sleep={secs}")
    body = f"ok id={rid} done={done:.6f}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
