"""Newsroom editing: roles and review, the audit trail, revisions and autosave,
per-article comment state, corrections and updates."""
