"""The TUI's screens; each has its ``.tcss`` beside it."""
