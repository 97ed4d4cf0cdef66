#!/usr/bin/env python3
"""Hostile-scale trees for stacklint (issue 12, items 5 and 6, and many findings).

usage: gen_hostile.py SHAPE N OUT_DIR

shapes:
  vhosts N          one nginx.conf with N `server { listen 80; location / { proxy_pass
                    http://10.0.x.y:80; } }` vhosts, each to its own backend address
  include-chain N   N nginx files, each including the next one twice (2^N directives once
                    expanded)
  include-glob N    N files in c/, each holding `include c/*.conf;` five times
  findings N        one nginx server with 3N/4 locations in front of a gunicorn `timeout = 60`:
                    N findings (timeout-order, invalid-value, missing-upstream)
"""
import os
import sys


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def vhosts(n, out):
    parts = ["events {}\nhttp {\n"]
    for i in range(n):
        parts.append(
            f"    server {{ listen 80; location / {{ proxy_pass http://10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:80; }} }}\n"
        )
    parts.append("}\n")
    write(os.path.join(out, "nginx.conf"), "".join(parts))


def include_chain(n, out):
    write(os.path.join(out, "nginx.conf"), "events {}\nhttp {\n    include l01.conf;\n    include l01.conf;\n}\n")
    for i in range(1, n):
        nxt = f"l{i + 1:02d}.conf"
        body = f"include {nxt};\ninclude {nxt};\n" if i + 1 < n else "keepalive_timeout 65s;\n"
        write(os.path.join(out, f"l{i:02d}.conf"), body)


def include_glob(n, out):
    write(os.path.join(out, "nginx.conf"), "events {}\nhttp {\n    include c/*.conf;\n}\n")
    for i in range(n):
        write(os.path.join(out, f"c/{i:02d}.conf"), "include c/*.conf;\n" * 5)


def findings(n, out):
    """About n findings: every three locations give two timeout-order (SL101), one invalid-value
    (SL401) and one missing-upstream (SL301) finding."""
    parts = ["events {}\nhttp {\n    server {\n        listen 80;\n"]
    for i in range(n * 3 // 4):
        body = [
            "proxy_read_timeout 30s; proxy_pass http://127.0.0.1:8000;",
            "proxy_read_timeout 30s; proxy_connect_timeout 1.5s; proxy_pass http://127.0.0.1:8000;",
            f"proxy_pass http://missing{i};",
        ][i % 3]
        parts.append(f"        location /p{i} {{ {body} }}\n")
    parts.append("    }\n}\n")
    write(os.path.join(out, "nginx.conf"), "".join(parts))
    write(os.path.join(out, "gunicorn.conf.py"), 'bind = "127.0.0.1:8000"\ntimeout = 60\n')


SHAPES = {"vhosts": vhosts, "include-chain": include_chain, "include-glob": include_glob, "findings": findings}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in SHAPES:
        sys.exit(__doc__)
    SHAPES[sys.argv[1]](int(sys.argv[2]), sys.argv[3])
