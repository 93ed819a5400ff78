"""Running a deployment: backups, the daily purge (rule 12), housekeeping, file modes, doctor."""
