"""Owns the user-facing surfaces: the `khabar` CLI, the HTTP API (FastAPI routes), the browser UI (Gradio) and `khabar serve`."""
