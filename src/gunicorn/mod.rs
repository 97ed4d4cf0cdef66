//! gunicorn: config files (top-level literal assignments, never executed), command lines found in
//! systemd units, Procfiles, Dockerfiles, docker-compose and `GUNICORN_CMD_ARGS`, defaults with
//! their sources, and the model that puts each gunicorn instance into the stack graph.
