//! docker-compose files: services, their commands, environment and names (host aliases).
