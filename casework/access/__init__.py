"""Who may act: actors, users and their passwords, sign-in with its throttle, API tokens."""
