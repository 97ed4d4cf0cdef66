bind = "127.0.0.1:8000"
worker_class = "gthread"
workers = 1
threads = 32
timeout = 30
keepalive = 1
