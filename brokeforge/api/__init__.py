"""The JSON API (django-ninja): the same actions as the web panel and the CLI, for scripts."""
