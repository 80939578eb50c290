"""What every part of the platform stands on: the database base and column types, companies and users,
identifiers and input bounds, domain errors, the languages. Imports nothing of the project above it."""
