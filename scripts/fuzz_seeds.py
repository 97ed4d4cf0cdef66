#!/usr/bin/env python3
"""Seeds for the `lint_any` fuzz target: every fixture and corpus file of each kind stacklint
reads, prefixed with the byte that picks its kind (the order of KINDS in
tests/common/fuzz_layout.rs). Writes fuzz/corpus/lint_any/ (git-ignored).

    python3 scripts/fuzz_seeds.py
    cd fuzz && cargo +nightly fuzz run lint_any corpus/lint_any -- -max_total_time=600 -max_len=65536
"""
import hashlib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYOUT = os.path.join(ROOT, "tests", "common", "fuzz_layout.rs")
OUT = os.path.join(ROOT, "fuzz", "corpus", "lint_any")
SOURCES = ["fixtures", os.path.join("..", "shared", "corpus"), os.path.join("tests", "live", "cases")]
PER_KIND = 300
MAX_BYTES = 200_000

# Which file names seed which kind.
MATCH = {
    "nginx.conf": lambda n: n.endswith(".conf") and "php" not in n and "pool" not in n,
    "haproxy.cfg": lambda n: n.endswith(".cfg"),
    "envoy.yaml": lambda n: n.endswith((".yaml", ".yml")) and "compose" not in n,
    "envoy.json": lambda n: n.endswith(".json") and n != "package.json",
    "php-fpm.conf": lambda n: n in ("php-fpm.conf", "www.conf") or "pool" in n,
    "php.ini": lambda n: n.endswith(".ini"),
    "gunicorn.conf.py": lambda n: n.startswith("gunicorn") and n.endswith(".py"),
    "server.js": lambda n: n.endswith((".js", ".ts", ".mjs", ".cjs")) and "ecosystem" not in n,
    "package.json": lambda n: n == "package.json",
    "ecosystem.config.js": lambda n: n.startswith("ecosystem"),
    ".env": lambda n: n.startswith(".env"),
    "Dockerfile": lambda n: n.startswith("Dockerfile"),
    "docker-compose.yml": lambda n: "compose" in n,
    "Procfile": lambda n: n == "Procfile",
    "app.service": lambda n: n.endswith(".service"),
    "main.py": lambda n: n.endswith(".py") and not n.startswith("gunicorn"),
    "stacklint.toml": lambda n: n == "stacklint.toml",
}

# Kinds the trees hold few or no examples of, and hostile shapes (issue 12: deep nesting, text cut
# inside a UTF-8 character, control characters that could forge output, one long line of errors).
EXTRA = {
    "ecosystem.config.js": [
        'module.exports = { apps: [{ name: "api", script: "server.js", env: { PORT: 3000 }, instances: 2 }] }\n',
        'module.exports = { apps: [ { script: "./app.js", env_production: { PORT: "8080" } } ] };\n',
    ],
    "gunicorn.conf.py": [
        "timeout = " + "[" * 300 + "]" * 300 + "\n",
        "timeout = " + "(" * 150 + "30" + ")" * 150 + "\nworkers = " + "-" * 2000 + "2\n",
        "bind = '\\x\u00e9' '\\xa\u00e9'\ntimeout = 2**2**2**3\nkeepalive = int(os.environ.get('K\u00e9', '5'))\n",
    ],
    "Dockerfile": [
        "FROM\u00e9x\nENV\u00e9\u00e9 x\nFROM node:20\nENV PORT=3000 HOST=\u00e9\nENV\tX 1\n",
    ],
    "main.py": [
        "import uvicorn\nuvicorn.run(app, port=" + "(" * 200 + "8000" + ")" * 200 + ")\nuvicorn.run(\u00e9, host='\u00e9')\n",
    ],
    "haproxy.cfg": [
        "global\n" + "\0" * 4000 + "\n  maxconn 1\0\n.if 1\n" * 3 + ".if 1\n" * 140 + ".endif\n" * 143,
        "global\n  log \"\x1b[2J\r::error::x\"\n" + "  bad \"\n" * 150,
    ],
    "nginx.conf": [
        "http { server { listen 80; location / { proxy_pass http://x\r::error file=a::b\x1b[2J\u009b; } } }\n",
        "http { " + "include /nonexistent/\u00e9{}.conf; " * 500 + "}\n",
    ],
    "envoy.json": ["[" * 300 + "]" * 300],
}


def main():
    kinds = re.findall(r'\("([^"]+)", &\[', open(LAYOUT).read())
    missing = [k for k in kinds if k not in MATCH]
    if missing:
        sys.exit(f"fuzz_seeds.py: no seed rule for {missing}: add them to MATCH")
    os.makedirs(OUT, exist_ok=True)
    count = dict.fromkeys(kinds, 0)

    def save(i, data):
        data = bytes([i]) + data
        with open(os.path.join(OUT, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
        count[kinds[i]] += 1

    for src in SOURCES:
        for dirpath, _, files in os.walk(os.path.join(ROOT, src)):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                if os.path.getsize(path) > MAX_BYTES:
                    continue
                data = open(path, "rb").read()
                for i, k in enumerate(kinds):
                    if MATCH[k](name) and count[k] < PER_KIND:
                        save(i, data)
    for k, texts in EXTRA.items():
        for t in texts:
            save(kinds.index(k), t.encode())
    print(", ".join(f"{k} {n}" for k, n in count.items()), f"-> {OUT}")


if __name__ == "__main__":
    main()
