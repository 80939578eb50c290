"""The processes besides the web application: the scheduler, the push dispatcher, housekeeping, the CLI, the demo,
seed data and migrations."""
