"""HTML pages of the core: sign-in and passwords, profile, notifications, Trash and settings."""
