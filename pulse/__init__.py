"""The app: the `pulse` command, broker, generators, live loop, readers (API, dashboard), alerts, reports."""
