bind = "127.0.0.1:8080"
workers = 1
timeout = 30
