"""Configuration: the safe YAML loader, the declared keys and their checker, and scenario
overlays for `simulate`. It turns a YAML file into a frozen, validated `Config`."""
