//! Where server processes are launched: systemd ExecStart, Procfile, Dockerfile CMD/ENTRYPOINT, docker-compose command, with their environment.
